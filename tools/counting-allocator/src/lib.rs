//! A global allocator that counts allocations and reallocations per thread, for the
//! family's zero-allocation tests (parse, map, record must not allocate per line).
//!
//! Install it in a test binary of its own (a `#[global_allocator]` applies to the whole
//! binary); the count is per thread, so the test harness's other threads do not disturb it.
//!
//! ```
//! use counting_allocator::{CountingAllocator, allocations};
//!
//! #[global_allocator]
//! static GLOBAL: CountingAllocator = CountingAllocator;
//!
//! let before = allocations();
//! let v: Vec<u8> = Vec::with_capacity(16);
//! assert_eq!(allocations() - before, 1);
//! drop(v);
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// The system allocator, counting every `alloc` and `realloc` on the calling thread.
pub struct CountingAllocator;

// SAFETY: every call is forwarded unchanged to `System`; counting touches only a
// thread-local `Cell` that never allocates (const-initialised).
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: as for `dealloc`; `new_size` is checked by the caller.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations and reallocations made so far on this thread (0 if [`CountingAllocator`]
/// is not the global allocator).
pub fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}
