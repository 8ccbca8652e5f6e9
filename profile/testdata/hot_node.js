// Spins for 2 s in fibHot, which V8 compiles.
function fibHot(n) { return n < 2 ? n : fibHot(n - 1) + fibHot(n - 2); }
const end = Date.now() + 2000;
let x = 0;
while (Date.now() < end) x += fibHot(22);
console.log(x > 0);
