// prog.rs: the Rust program whose symbols TestRustAgainstCxxfilt demangles
// and compares with c++filt's text. It is built twice, with rustc's default
// legacy mangling and with -C symbol-mangling-version=v0, and uses std
// alone. Each item is here for a construct of the mangling: generics,
// closures, trait objects, const generics (negative, 128-bit, bool, char),
// nested modules, non-ASCII identifiers (punycode in v0), function pointers
// with lifetimes and ABIs, tuples, arrays, slices, raw pointers, str and the
// never type, impls of traits on built-in types.
#![allow(dead_code, non_snake_case, uncommon_codepoints, mixed_script_confusables)]

use std::collections::HashMap;
use std::fmt::{self, Debug, Display};

/// Keeps the optimizer from folding x away, as std::hint::black_box does
/// (which is newer than Debian 12's rustc 1.63).
#[inline(never)]
fn black_box<T: Copy>(x: T) -> T {
    unsafe { std::ptr::read_volatile(&x) }
}

pub mod outer {
    pub mod inner {
        pub mod deepest {
            #[inline(never)]
            pub fn leaf(x: u64) -> u64 {
                crate::black_box(x.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            }
        }

        pub struct Wrapper<T>(pub T);

        impl<T: Clone + std::fmt::Debug> Wrapper<T> {
            #[inline(never)]
            pub fn twice(&self) -> (T, T) {
                (self.0.clone(), self.0.clone())
            }
        }
    }
}

pub trait Shape {
    fn area(&self) -> f64;
    fn name(&self) -> String {
        String::from("shape")
    }
}

pub struct Circle {
    r: f64,
}
pub struct Square<const N: usize> {
    cells: [u8; N],
}

impl Shape for Circle {
    #[inline(never)]
    fn area(&self) -> f64 {
        3.14159 * self.r * self.r
    }
}

impl<const N: usize> Shape for Square<N> {
    #[inline(never)]
    fn area(&self) -> f64 {
        (N * N) as f64 + self.cells.iter().map(|&c| c as f64).sum::<f64>()
    }
    fn name(&self) -> String {
        format!("square{N}")
    }
}

pub trait Tagged {
    type Tag: Debug;
    fn tag(&self) -> Self::Tag;
}

impl Tagged for u32 {
    type Tag = char;
    #[inline(never)]
    fn tag(&self) -> char {
        'u'
    }
}

impl<T: Tagged + ?Sized> Tagged for &T {
    type Tag = T::Tag;
    fn tag(&self) -> T::Tag {
        (**self).tag()
    }
}

impl Tagged for [u16] {
    type Tag = usize;
    #[inline(never)]
    fn tag(&self) -> usize {
        self.len()
    }
}

impl Tagged for str {
    type Tag = usize;
    #[inline(never)]
    fn tag(&self) -> usize {
        self.len() * 2
    }
}

impl<A: Debug, B: Debug> Tagged for (A, B, *const u8) {
    type Tag = String;
    #[inline(never)]
    fn tag(&self) -> String {
        format!("{:?}{:?}", self.0, self.1)
    }
}

#[inline(never)]
fn signed<const V: i64>() -> i64 {
    black_box(V)
}
#[inline(never)]
fn wide<const V: u128>() -> u128 {
    black_box(V)
}
#[inline(never)]
fn wide_signed<const V: i128>() -> i128 {
    black_box(V)
}
#[inline(never)]
fn flag<const B: bool>() -> bool {
    black_box(B)
}
#[inline(never)]
fn letter<const C: char>() -> char {
    black_box(C)
}
#[inline(never)]
fn byte<const U: u8, const I: i8>() -> i16 {
    black_box(U as i16 + I as i16)
}

#[inline(never)]
fn apply<F: Fn(u32) -> u32>(f: F, x: u32) -> u32 {
    f(x)
}

#[inline(never)]
fn call_dyn(f: &dyn Fn(&str) -> usize, s: &str) -> usize {
    f(s)
}

#[inline(never)]
fn call_boxed(f: Box<dyn FnOnce() -> String + Send>) -> String {
    f()
}

#[inline(never)]
fn pointers(f: for<'a> fn(&'a [u8]) -> &'a u8, g: unsafe extern "C" fn(i32) -> i32, v: &[u8]) -> i32 {
    unsafe { g(*f(v) as i32) }
}

fn first(v: &[u8]) -> &u8 {
    &v[0]
}

extern "C" fn negate(x: i32) -> i32 {
    -x
}

#[inline(never)]
fn never_returns(code: i32) -> Result<u8, std::convert::Infallible> {
    Ok(code as u8)
}

#[inline(never)]
fn arrays<T: Copy + Default, const N: usize>(x: [T; N]) -> [T; N] {
    black_box(x)
}

#[inline(never)]
fn mutable(p: *mut u32, r: &mut Vec<&'static str>) {
    unsafe { *p += r.len() as u32 }
    r.push("x");
}

mod überraschung {
    #[inline(never)]
    pub fn grüße(n: u32) -> u32 {
        crate::black_box(n + 1)
    }
    pub struct Größe<T>(pub T);
    impl<T: Copy + Into<u64>> Größe<T> {
        #[inline(never)]
        pub fn größer(&self) -> u64 {
            self.0.into() * 2
        }
    }
}

/// Instantiated with many kinds of types, whose v0 names show them:
/// function pointers with binders and ABIs, trait objects, slices, str,
/// raw pointers, tuples.
#[inline(never)]
fn type_name_len<T: ?Sized>(x: &T) -> usize {
    black_box(std::any::type_name::<T>().len() + std::mem::size_of_val(x))
}

struct Pretty<'a>(&'a [i32]);

impl Display for Pretty<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for x in self.0 {
            write!(f, "{x} ")?;
        }
        Ok(())
    }
}

fn main() {
    let n = std::env::args().count() as u64;
    let w = outer::inner::Wrapper(vec![n; 3]);
    let shapes: Vec<Box<dyn Shape>> = vec![
        Box::new(Circle { r: n as f64 }),
        Box::new(Square::<3> { cells: [1, 2, 3] }),
    ];
    let total: f64 = shapes.iter().map(|s| s.area()).sum();
    let names: Vec<String> = shapes.iter().map(|s| s.name()).collect();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for name in &names {
        *counts.entry(name.clone()).or_default() += 1;
    }
    let k = 5u32;
    let closure = move |x: u32| x + k;
    let nested = |x: u32| apply(|y| y * 2, x) + apply(closure, x);
    let text = String::from("hello");
    let boxed: Box<dyn FnOnce() -> String + Send> = Box::new(move || text + "!");
    let mut raw = 7u32;
    let mut list = vec!["a"];
    mutable(&mut raw, &mut list);
    let halves: &[u16] = &[1, 2, 3];
    let pair = (1u8, "two", std::ptr::null::<u8>());
    println!(
        "{} {:?} {} {} {} {} {}",
        outer::inner::deepest::leaf(n),
        w.twice(),
        total,
        counts.len(),
        nested(n as u32),
        call_dyn(&|s: &str| s.len(), "four"),
        call_boxed(boxed),
    );
    println!(
        "{} {} {} {} {} {} {} {}",
        signed::<-42>(),
        signed::<{ i64::MIN }>(),
        wide::<{ u128::MAX }>(),
        wide::<7>(),
        wide_signed::<{ i128::MIN }>(),
        flag::<true>(),
        flag::<false>(),
        byte::<255, -128>(),
    );
    println!(
        "{} {} {} {:?} {:?} {:?}",
        letter::<'x'>(),
        letter::<'ß'>(),
        letter::<'\''>(),
        (7u32).tag(),
        (&7u32).tag(),
        halves.tag(),
    );
    println!(
        "{} {} {:?} {:?} {} {}",
        "strs".tag(),
        pair.tag(),
        arrays([1.5f32; 4]),
        never_returns(3),
        pointers(first, negate, &[9, 8]),
        Pretty(&[1, 2, 3]),
    );
    let f: for<'a> fn(&'a [u8]) -> &'a u8 = first;
    let g: unsafe extern "C" fn(i32) -> i32 = negate;
    let d: &dyn for<'a> Fn(&'a str) -> usize = &|s: &str| s.len();
    println!(
        "{} {} {} {} {} {} {}",
        type_name_len(&f),
        type_name_len(&g),
        type_name_len(d),
        type_name_len(halves),
        type_name_len("str"),
        type_name_len(&(&mut raw as *mut u32)),
        type_name_len(&pair),
    );
    let g = überraschung::Größe(3u16);
    println!("{} {} {}", überraschung::grüße(n as u32), g.größer(), raw + list.len() as u32);
}
