// A hot JavaScript function for the profiler's JIT tests. jitHotLoop runs
// until a file named "stop" appears in the working directory, or until the
// process has used process.argv[2] milliseconds of CPU time (default 60 s);
// both are looked at ten times a second. "ready" is printed once V8 has had
// 300 ms to optimize it. Run with --perf-prof, V8 writes ./jit-PID.dump,
// whose newest records it keeps in a stdio buffer until exit or until 4 KiB
// more come: the optimized code of jitHotLoop, which then runs for good, is
// among them, as the program compiles nothing after it (what runs ten
// times a second stays interpreted).
'use strict';
const fs = require('fs');

function jitHotLoop(n) {
  let s = 0;
  for (let i = 0; i < n; i++) s = (s + i * i) % 1000003;
  return s;
}

const cpuLimit = 1000 * Number(process.argv[2] || 60000); // microseconds
const start = Date.now();
let ready = false;
let look = start + 100;
let x = 0;
for (;;) {
  x += jitHotLoop(100000);
  const now = Date.now();
  if (!ready && now >= start + 300) {
    console.log('ready');
    ready = true;
  }
  if (now >= look) {
    const cpu = process.cpuUsage();
    if (cpu.user + cpu.system >= cpuLimit || fs.existsSync('stop')) break;
    look = now + 100;
  }
}
console.log('done', x > 0);
