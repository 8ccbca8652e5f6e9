// A hot JavaScript function for the profiler's JIT tests. jitHotLoop runs
// until a file named "stop" appears in the working directory (looked for
// twice a second), or for process.argv[2] milliseconds (default 60 s).
// "ready" is printed once V8 has had 300 ms to optimize it. Run with
// --perf-prof, V8 writes ./jit-PID.dump, whose newest records it keeps in a
// stdio buffer until exit or until 4 KiB more come: the optimized code of
// jitHotLoop, which then runs for good, is among them, as the program
// compiles nothing after it (the rare look for "stop" stays interpreted).
'use strict';
const fs = require('fs');

function jitHotLoop(n) {
  let s = 0;
  for (let i = 0; i < n; i++) s = (s + i * i) % 1000003;
  return s;
}

const start = Date.now();
const limit = start + Number(process.argv[2] || 60000);
let ready = false;
let look = start + 500;
let x = 0;
for (;;) {
  x += jitHotLoop(100000);
  const now = Date.now();
  if (!ready && now >= start + 300) {
    console.log('ready');
    ready = true;
  }
  if (now >= limit) break;
  if (now >= look) {
    if (fs.existsSync('stop')) break;
    look = now + 500;
  }
}
console.log('done', x > 0);
