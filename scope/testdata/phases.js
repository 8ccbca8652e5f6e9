// Spins in steadyPhase for 2.2 s, then in burstPhase 200 ms at the
// start of each of the next 4 seconds, idle the rest of them.
'use strict';
let sink = 0;
function spinUntil(t) { while (Date.now() < t) { for (let i = 0; i < 1e4; i++) sink = (sink + i) | 0; } }
function steadyPhase(ms) { spinUntil(Date.now() + ms); }
function burstPhase(ms) { spinUntil(Date.now() + ms); }
steadyPhase(2200);
// Each burst starts a whole second after the first, not 800 ms after the
// last ended: on a busy machine the delays would add up, and the bursts
// drift across the seconds.
const first = Date.now();
let n = 0;
function tick() {
  burstPhase(200);
  if (++n < 4) setTimeout(tick, Math.max(0, first + n * 1000 - Date.now()));
}
setTimeout(tick, 0);
