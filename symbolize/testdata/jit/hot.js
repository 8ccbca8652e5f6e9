function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
const end = Date.now() + 1500;
let x = 0;
while (Date.now() < end) x += fib(20);
console.log("ready " + (x > 0));
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
