// prog.rs: the Rust program the native symbolizer tests build.
pub mod flame {
    pub struct Counter {
        pub n: u64,
    }
    impl Counter {
        #[inline(never)]
        pub fn bump(&mut self, by: u64) -> u64 {
            self.n = self.n.wrapping_mul(31).wrapping_add(by);
            self.n
        }
    }
}

fn main() {
    let mut c = flame::Counter { n: std::env::args().count() as u64 };
    println!("{}", c.bump(7));
}
