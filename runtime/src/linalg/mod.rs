//! Matrix products on plain slices, with the bias and the activation applied as the results are
//! stored, split over the cores for the big ones.
//!
//! Activations are stored one sample after another, which is a column-major matrix with one
//! column per sample; a Keras kernel `(input_dim, units)` in row-major order is a column-major
//! `units x input_dim` matrix. So the products of a forward or backward pass read contiguous
//! memory, and a transpose is only a change of strides:
//!
//! - forward, `z = K x`: the kernel's columns are contiguous, so the product runs down them 16
//!   units at a time against 6 samples, skipping the inputs that are zero for all 6 (half of
//!   Fashion-MNIST's pixels are, and so are many outputs of a `relu`);
//! - kernel gradient, `dK = dz x^T`: the same, with the samples as the inner dimension;
//! - input gradient, `dx = K^T dz`: the same again, once blocks of 16 rows of `K^T` are
//!   copied (transposed) into contiguous columns.
//!
//! Every value is a sum in order over the inner dimension, in chunks of 256 added to the result one
//! after the other, with fused multiply-adds: the order of the matrixmultiply crate that densely
//! used before, so results are the same to the last bit. The kernels are written for AVX-512 and
//! for AVX2 with FMA (the best the CPU has, chosen at run time; see the `x86` module), with a
//! portable fallback; the two SIMD kernels give the same bits. Like matrixmultiply's, they copy
//! what they read into small blocks first (the values of `b` step after step, so the tiles read
//! them in order), but on the stack: nothing is allocated, so a training step allocates nothing.
//! Products big enough to pay for it are split between the threads of a small persistent pool (see
//! [`threads`]); the split never changes a result, since every value is computed whole by one
//! thread.

use std::ops::Range;

/// A read-only matrix in a slice: its size and the strides between rows and columns.
#[derive(Clone, Copy, Debug)]
pub struct Mat<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a> Mat<'a> {
    /// The column-major `rows x cols` matrix at the start of `data`.
    ///
    /// # Panics
    /// If `data` is shorter than `rows * cols`.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert!(
            data.len() >= rows * cols,
            "matrix {rows}x{cols} over {} values",
            data.len()
        );
        Mat {
            data,
            rows,
            cols,
            row_stride: 1,
            col_stride: rows,
        }
    }

    /// The transpose, without moving data.
    pub fn t(self) -> Self {
        Mat {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    fn ptr(&self) -> *const f32 {
        self.data.as_ptr()
    }

    /// The value at row `i`, column `j`, which must lie within the matrix.
    unsafe fn at(&self, i: usize, j: usize) -> f32 {
        // SAFETY: (i, j) lies within the matrix, which lies within `data`.
        unsafe { *self.ptr().add(i * self.row_stride + j * self.col_stride) }
    }
}

/// What a product does with its results as it stores them: `c = a * b + beta * c + bias`,
/// then `max(c, 0)` if `relu`.
#[derive(Clone, Copy, Debug)]
pub struct Epilogue<'a> {
    /// The factor of the previous contents of `c`; `c` is never read when it is 0.
    pub beta: f32,
    /// A value per row of `c` (per unit of a layer), added to every column.
    pub bias: Option<&'a [f32]>,
    /// Whether to clamp the results at 0 (a fused `relu`).
    pub relu: bool,
}

impl<'a> Epilogue<'a> {
    /// `c = a * b`.
    pub const STORE: Epilogue<'static> = Epilogue {
        beta: 0.0,
        bias: None,
        relu: false,
    };

    /// `c += a * b`.
    pub const ACCUMULATE: Epilogue<'static> = Epilogue {
        beta: 1.0,
        bias: None,
        relu: false,
    };

    /// `c = a * b + bias` (per row), clamped at 0 if `relu`.
    pub fn bias(bias: Option<&'a [f32]>, relu: bool) -> Self {
        Epilogue {
            beta: 0.0,
            bias,
            relu,
        }
    }
}

/// `c = a * b + beta * c` for the column-major `c` of `a.rows x b.cols` values; `c` is never
/// read when `beta` is 0.
///
/// # Panics
/// If the sizes don't agree or `c` is too short.
pub fn gemm(c: &mut [f32], a: Mat<'_>, b: Mat<'_>, beta: f32) {
    gemm_with(
        c,
        a,
        b,
        Epilogue {
            beta,
            bias: None,
            relu: false,
        },
    );
}

/// `c = a * b`, then the [`Epilogue`]: `beta * c` and a bias per row added, `relu` applied,
/// for the column-major `c` of `a.rows x b.cols` values.
///
/// # Panics
/// If the sizes don't agree, or `c` or the bias is too short.
pub fn gemm_with(c: &mut [f32], a: Mat<'_>, b: Mat<'_>, epilogue: Epilogue<'_>) {
    gemm_on(Kernel::here(), c, a, b, epilogue);
}

/// [`gemm_with`] with `kernel`.
fn gemm_on(kernel: Kernel, c: &mut [f32], a: Mat<'_>, b: Mat<'_>, epilogue: Epilogue<'_>) {
    assert_eq!(a.cols, b.rows, "gemm: inner sizes differ");
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(
        c.len() >= m * n,
        "gemm: output of {m}x{n} over {} values",
        c.len()
    );
    if let Some(bias) = epilogue.bias {
        assert!(bias.len() >= m, "gemm: bias of {} for {m} rows", bias.len());
    }
    if m == 0 || n == 0 {
        return;
    }
    let product = Product {
        a,
        b,
        c: c.as_mut_ptr(),
        ldc: m,
        m,
        n,
        k,
        beta: epilogue.beta,
        bias: epilogue.bias.map_or(std::ptr::null(), <[f32]>::as_ptr),
        relu: epilogue.relu,
    };
    product.run(kernel);
}

/// Whether the CPU has AVX2 and FMA (and `$DENSELY_NO_SIMD` is not set): what the other
/// vectorized passes (an optimizer's checks) may compile for.
#[cfg(target_arch = "x86_64")]
pub(crate) fn avx2_available() -> bool {
    x86::avx2_available()
}

/// The kernel that computes products.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kernel {
    /// Plain Rust, on any machine.
    Portable,
    /// AVX2 and FMA: 16-row tiles.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// AVX-512: 32-row tiles.
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Kernel {
    /// The best kernel this CPU runs (`$DENSELY_NO_AVX512` and `$DENSELY_NO_SIMD` step down),
    /// detected once.
    fn here() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if x86::avx512_available() {
                return Kernel::Avx512;
            }
            if x86::avx2_available() {
                return Kernel::Avx2;
            }
        }
        Kernel::Portable
    }

    /// The rows and columns of its tiles.
    fn tile(self) -> (usize, usize) {
        match self {
            Kernel::Portable => portable::TILE,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => (x86::AVX2_ROWS, COLUMN_TILE.1),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => (x86::AVX512_ROWS, COLUMN_TILE.1),
        }
    }
}

/// The rows (of the AVX2 kernel) and columns of a tile of the column kernels.
const COLUMN_TILE: (usize, usize) = (16, 6);
/// Products with fewer multiply-adds than this run on the calling thread alone.
const PARALLEL_MIN_WORK: usize = 1 << 19;
/// The parts a product is split into, per thread, when its columns are split.
const PARTS_PER_THREAD: usize = 4;
/// The fewest multiply-adds in a part.
const PART_MIN_WORK: usize = 1 << 15;

/// The operands of one product, as raw parts so that threads can share them.
#[derive(Clone, Copy)]
struct Product<'a> {
    a: Mat<'a>,
    b: Mat<'a>,
    c: *mut f32,
    /// The stride of the column-major `c` between columns.
    ldc: usize,
    m: usize,
    n: usize,
    k: usize,
    beta: f32,
    /// A value per row of `c`, or null.
    bias: *const f32,
    relu: bool,
}

// SAFETY: `Product` is only shared while `gemm_with` holds the exclusive borrow of `c` and the
// shared borrows of the rest, and each thread writes a disjoint block of `c`.
unsafe impl Send for Product<'_> {}
unsafe impl Sync for Product<'_> {}

impl Product<'_> {
    /// Computes the product with `kernel`, split over the pool's threads when it is big
    /// enough.
    fn run(&self, kernel: Kernel) {
        let work = self.m * self.n * self.k.max(1);
        let threads = if work >= PARALLEL_MIN_WORK {
            threads()
        } else {
            1
        };
        if threads <= 1 {
            self.block(kernel, 0..self.m, 0..self.n);
            return;
        }
        // Split the dimension with more tiles, in whole tiles, as evenly as possible.
        let (mr, nr) = kernel.tile();
        let (m_tiles, n_tiles) = (self.m.div_ceil(mr), self.n.div_ceil(nr));
        let split_rows = m_tiles >= n_tiles;
        let (tiles, step, len) = if split_rows {
            (m_tiles, mr, self.m)
        } else {
            (n_tiles, nr, self.n)
        };
        // A few parts per thread when splitting columns, so that a thread the system holds up
        // delays little; one per thread when splitting rows, as each part then looks for the
        // zeros of all of `b`.
        let per_thread = if split_rows { 1 } else { PARTS_PER_THREAD };
        let parts = tiles
            .min(threads * per_thread)
            .min(work / PART_MIN_WORK)
            .max(1);
        let range = |part: usize| {
            let start = (tiles * part / parts * step).min(len);
            let end = (tiles * (part + 1) / parts * step).min(len);
            start..end
        };
        pool::run(parts, &|part| {
            if split_rows {
                self.block(kernel, range(part), 0..self.n);
            } else {
                self.block(kernel, 0..self.m, range(part));
            }
        });
    }

    /// Computes the block `rows x cols` of `c`.
    fn block(&self, kernel: Kernel, rows: Range<usize>, cols: Range<usize>) {
        if rows.is_empty() || cols.is_empty() {
            return;
        }
        // SAFETY: a kernel is only chosen where the CPU has its instructions; the ranges lie
        // within the sizes checked by `gemm_with`.
        unsafe {
            match kernel {
                Kernel::Portable => portable::block(self, rows, cols),
                #[cfg(target_arch = "x86_64")]
                Kernel::Avx2 => x86::columns_avx2(self, rows, cols),
                #[cfg(target_arch = "x86_64")]
                Kernel::Avx512 => x86::columns_avx512(self, rows, cols),
            }
        }
    }
}

/// The portable kernel: blocks of 8 rows by 4 columns, each value summed in order.
mod portable {
    use super::Product;
    use std::ops::Range;

    /// The rows and columns of a block.
    pub(super) const TILE: (usize, usize) = (MR, NR);
    const MR: usize = 8;
    const NR: usize = 4;

    /// # Safety
    /// The ranges must lie within the product's sizes.
    pub(super) unsafe fn block(p: &Product<'_>, rows: Range<usize>, cols: Range<usize>) {
        let (a, b) = (p.a, p.b);
        let mut j0 = cols.start;
        while j0 < cols.end {
            let nc = NR.min(cols.end - j0);
            let mut i0 = rows.start;
            while i0 < rows.end {
                let mr = MR.min(rows.end - i0);
                let mut acc = [[0.0f32; MR]; NR];
                for q in 0..p.k {
                    let mut av = [0.0f32; MR];
                    for (r, v) in av.iter_mut().enumerate().take(mr) {
                        // SAFETY: row i0 + r < m and q < k lie within `a`.
                        *v = unsafe { a.at(i0 + r, q) };
                    }
                    for (j, acc) in acc.iter_mut().enumerate().take(nc) {
                        // SAFETY: q < k and column j0 + j < n lie within `b`.
                        let bv = unsafe { b.at(q, j0 + j) };
                        for (acc, &av) in acc.iter_mut().zip(&av) {
                            *acc += av * bv;
                        }
                    }
                }
                for (j, acc) in acc.iter().enumerate().take(nc) {
                    for (r, &value) in acc.iter().enumerate().take(mr) {
                        let i = i0 + r;
                        // SAFETY: (i, j0 + j) lies within the m x n output and the bias has
                        // m values.
                        unsafe {
                            let slot = p.c.add(i + (j0 + j) * p.ldc);
                            let mut v = value;
                            if p.beta != 0.0 {
                                v += p.beta * *slot;
                            }
                            if !p.bias.is_null() {
                                v += *p.bias.add(i);
                            }
                            if p.relu {
                                v = crate::activation::relu(v);
                            }
                            *slot = v;
                        }
                    }
                }
                i0 += mr;
            }
            j0 += nc;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86;

/// Element-wise work on `len` values below this stays on the calling thread.
const PARALLEL_MIN_VALUES: usize = 1 << 16;

/// Runs `task` on the ranges of `0..len`, one per thread of the product pool when `len` is
/// big enough to pay for it (else `task(0..len)` alone); returns when all are done. For
/// element-wise work (an optimizer's update), whose result doesn't depend on the split.
pub(crate) fn for_each_part(len: usize, task: &(dyn Fn(Range<usize>) + Sync)) {
    let parts = if len >= PARALLEL_MIN_VALUES {
        threads()
    } else {
        1
    };
    if parts <= 1 {
        return task(0..len);
    }
    // Ranges of whole cache lines, so that no two threads write the same one.
    let lines = len.div_ceil(16);
    let range = |part: usize| {
        let start = (lines * part / parts * 16).min(len);
        let end = (lines * (part + 1) / parts * 16).min(len);
        start..end
    };
    pool::run(parts, &|part| task(range(part)));
}

/// The number of threads products are split over: `$DENSELY_NUM_THREADS` if set (1 turns the
/// pool off), else the number of cores, at most 8.
pub fn threads() -> usize {
    pool::get().map_or(1, |pool| pool.workers.len() + 1)
}

/// A persistent pool of worker threads that help the calling thread with the parts of a job.
///
/// The caller publishes a job (a function of the part index) and then claims parts itself, one
/// at a time, like the workers; it waits only for parts a worker has already claimed. So a
/// worker that is asleep or not scheduled delays nothing: the caller does the parts. Idle
/// workers spin for a moment, then park. A second caller arriving while the pool is busy
/// (tests run side by side) runs its job alone; so does the caller for a while after a worker
/// held a job up (the machine is busy with other work), backing off further at each stall.
mod pool {
    use std::cell::UnsafeCell;
    use std::panic::{self, AssertUnwindSafe};
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    use std::sync::OnceLock;
    use std::thread::{self, Thread};
    use std::time::{Duration, Instant};

    /// How long an idle worker spins before it parks.
    const SPIN: Duration = Duration::from_micros(300);
    /// A wait for helpers longer than this (and than twice the caller's own share) is a stall:
    /// the system is running other things on the cores.
    const STALL: Duration = Duration::from_micros(50);
    /// The jobs run alone after a first stall; each further stall doubles it, up to the max.
    const MIN_BACKOFF: usize = 64;
    const MAX_BACKOFF: usize = 1 << 14;

    type Task<'a> = dyn Fn(usize) + Sync + 'a;

    /// The claim word: the job's generation (high 32 bits), its number of parts (next 16) and
    /// the next part to take (low 16).
    fn claim_word(generation: u64, parts: usize, next: usize) -> u64 {
        (generation << 32) | ((parts as u64) << 16) | next as u64
    }

    pub(super) struct Pool {
        busy: AtomicBool,
        /// Jobs posted so far.
        jobs: AtomicUsize,
        /// Jobs before this one run on the caller alone.
        alone_until: AtomicUsize,
        /// How many jobs the next stall sends to the caller alone.
        backoff: AtomicUsize,
        claim: AtomicU64,
        /// Parts published but not finished.
        remaining: AtomicUsize,
        panicked: AtomicBool,
        task: UnsafeCell<*const Task<'static>>,
        pub(super) workers: Vec<Worker>,
    }

    pub(super) struct Worker {
        sleeping: AtomicBool,
        thread: OnceLock<Thread>,
    }

    // SAFETY: `task` is written only by the caller holding `busy` while no part is claimed
    // (`remaining` is 0), and read only by a thread that has claimed a part of the job, which
    // the caller waits for before it returns or writes again.
    unsafe impl Sync for Pool {}
    unsafe impl Send for Pool {}

    /// The pool, started on first use; `None` with a single thread.
    pub(super) fn get() -> Option<&'static Pool> {
        static POOL: OnceLock<Option<Pool>> = OnceLock::new();
        POOL.get_or_init(|| {
            let threads = std::env::var("DENSELY_NUM_THREADS")
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get().min(8)));
            (threads > 1).then(|| Pool {
                busy: AtomicBool::new(false),
                jobs: AtomicUsize::new(0),
                alone_until: AtomicUsize::new(0),
                backoff: AtomicUsize::new(MIN_BACKOFF),
                claim: AtomicU64::new(0),
                remaining: AtomicUsize::new(0),
                panicked: AtomicBool::new(false),
                task: UnsafeCell::new(std::ptr::null::<fn(usize)>() as *const Task<'static>),
                workers: (1..threads.min(64))
                    .map(|_| Worker {
                        sleeping: AtomicBool::new(false),
                        thread: OnceLock::new(),
                    })
                    .collect(),
            })
        })
        .as_ref()
        .filter(|pool| pool.start())
    }

    impl Pool {
        /// Starts the workers once; false if a thread could not be spawned.
        fn start(&'static self) -> bool {
            static STARTED: OnceLock<bool> = OnceLock::new();
            *STARTED.get_or_init(|| {
                self.workers.iter().enumerate().all(|(index, worker)| {
                    thread::Builder::new()
                        .name(format!("densely-{}", index + 1))
                        .spawn(move || self.work(index))
                        .map(|handle| worker.thread.set(handle.thread().clone()).is_ok())
                        .unwrap_or(false)
                })
            })
        }

        /// Claims the next part of job `generation`, if any is left.
        fn take(&self, generation: u64) -> Option<usize> {
            let mut word = self.claim.load(Ordering::Acquire);
            loop {
                let (parts, next) = ((word >> 16) as usize & 0xffff, word as usize & 0xffff);
                if word >> 32 != generation || next >= parts {
                    return None;
                }
                match self.claim.compare_exchange_weak(
                    word,
                    claim_word(generation, parts, next + 1),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => return Some(next),
                    Err(current) => word = current,
                }
            }
        }

        /// Runs the parts of job `generation` that this thread can claim.
        fn help(&self, generation: u64) {
            while let Some(part) = self.take(generation) {
                // SAFETY: a claimed part keeps the job, and so its task, alive.
                let task = unsafe { &**self.task.get() };
                if panic::catch_unwind(AssertUnwindSafe(|| task(part))).is_err() {
                    self.panicked.store(true, Ordering::Relaxed);
                }
                self.remaining.fetch_sub(1, Ordering::Release);
            }
        }

        fn work(&'static self, index: usize) {
            let worker = &self.workers[index];
            let mut seen = 0;
            loop {
                let mut since = Instant::now();
                let mut spins = 0u32;
                let generation = loop {
                    let generation = self.claim.load(Ordering::Acquire) >> 32;
                    if generation != seen {
                        break generation;
                    }
                    spins = spins.wrapping_add(1);
                    if !spins.is_multiple_of(64) || since.elapsed() < SPIN {
                        std::hint::spin_loop();
                        continue;
                    }
                    worker.sleeping.store(true, Ordering::SeqCst);
                    if self.claim.load(Ordering::SeqCst) >> 32 == seen {
                        thread::park();
                    }
                    worker.sleeping.store(false, Ordering::SeqCst);
                    since = Instant::now();
                };
                seen = generation;
                self.help(generation);
            }
        }
    }

    /// Runs `task(0)`, ..., `task(parts - 1)` on this thread and the workers; returns when all
    /// are done. Runs them all here if the pool is busy or absent.
    pub(super) fn run(parts: usize, task: &Task<'_>) {
        let pool = match get() {
            Some(pool) if parts > 1 => pool,
            _ => return (0..parts).for_each(task),
        };
        if pool
            .busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return (0..parts).for_each(task);
        }
        // After a job whose helpers held it up (a busy machine), run alone for a while.
        let job = pool.jobs.fetch_add(1, Ordering::Relaxed);
        if job < pool.alone_until.load(Ordering::Relaxed) {
            pool.busy.store(false, Ordering::Release);
            return (0..parts).for_each(task);
        }
        let parts = parts.min(0xffff);
        // SAFETY: erases the task's lifetime; no part of this job runs after this function
        // returns (it waits for `remaining` to reach 0), and the next job replaces the task.
        let task_static =
            unsafe { std::mem::transmute::<*const Task<'_>, *const Task<'static>>(task) };
        // SAFETY: we hold `busy` and no part is claimed: nobody reads `task` now.
        unsafe { *pool.task.get() = task_static };
        pool.remaining.store(parts, Ordering::Relaxed);
        let generation = ((pool.claim.load(Ordering::Relaxed) >> 32) + 1) & 0xffff_ffff;
        let generation = generation.max(1);
        pool.claim
            .store(claim_word(generation, parts, 0), Ordering::SeqCst);
        for worker in &pool.workers {
            if worker.sleeping.load(Ordering::SeqCst) {
                if let Some(thread) = worker.thread.get() {
                    thread.unpark();
                }
            }
        }
        let start = Instant::now();
        pool.help(generation);
        let helped = start.elapsed();
        let mut spins = 0u32;
        while pool.remaining.load(Ordering::Acquire) != 0 {
            spins = spins.saturating_add(1);
            if spins < 1 << 12 {
                std::hint::spin_loop();
            } else {
                thread::yield_now();
            }
        }
        if spins > 0 {
            let waited = start.elapsed() - helped;
            let backoff = pool.backoff.load(Ordering::Relaxed);
            if waited > STALL + 2 * helped {
                pool.alone_until.store(job + backoff, Ordering::Relaxed);
                pool.backoff
                    .store((backoff * 2).min(MAX_BACKOFF), Ordering::Relaxed);
            } else if backoff > MIN_BACKOFF {
                pool.backoff.store(backoff - 1, Ordering::Relaxed);
            }
        }
        let panicked = pool.panicked.swap(false, Ordering::Relaxed);
        pool.busy.store(false, Ordering::Release);
        assert!(!panicked, "a part of a matrix product panicked");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposes_are_strides() {
        // 2 x 3 column-major: columns [1, 2], [3, 4], [5, 6].
        let data = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let identity = [1.0, 0.0, 0.0, 1.0];
        let mut c = [0.0; 6];
        gemm(
            &mut c,
            Mat::new(&data, 2, 3).t(),
            Mat::new(&identity, 2, 2),
            0.0,
        );
        assert_eq!(c, [1.0, 3.0, 5.0, 2.0, 4.0, 6.0]);
    }

    #[test]
    fn gemm_matches_a_naive_product_for_every_layout() {
        for &(m, k, n) in &[(2, 3, 4), (7, 9, 11), (1, 30, 32), (12, 5, 8)] {
            let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 - 3.0).collect();
            let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.5).collect();
            let at = |i: usize, p: usize| a[i + p * m];
            let bt = |p: usize, j: usize| b[p + j * k];
            let mut c = vec![f32::NAN; m * n];
            gemm(&mut c, Mat::new(&a, m, k), Mat::new(&b, k, n), 0.0);
            // The same product from transposed storage: (b^T a^T)^T.
            let a_t: Vec<f32> = (0..m * k).map(|i| at(i / k, i % k)).collect(); // k x m col-major
            let b_t: Vec<f32> = (0..k * n).map(|i| bt(i % k, i / k)).collect();
            let mut c2 = vec![1.0; m * n];
            let b_t_view = Mat::new(&b_t, k, n); // same values as b
            gemm(&mut c2, Mat::new(&a_t, k, m).t(), b_t_view, 0.0);
            for i in 0..m {
                for j in 0..n {
                    let expected: f32 = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
                    assert!(
                        (c[i + j * m] - expected).abs() < 1e-4,
                        "{m}x{k}x{n} at ({i},{j})"
                    );
                    assert!(
                        (c2[i + j * m] - expected).abs() < 1e-4,
                        "transposed {m}x{k}x{n}"
                    );
                }
            }
        }
    }

    #[test]
    fn beta_accumulates() {
        let a = [2.0];
        let b = [3.0];
        let mut c = [1.0];
        gemm(&mut c, Mat::new(&a, 1, 1), Mat::new(&b, 1, 1), 1.0);
        assert_eq!(c, [7.0]);
    }

    /// Deterministic values in [-1, 1).
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(12345);
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0
            })
            .collect()
    }

    /// `op(a) * op(b)` of column-major `a` and `b`, in f64, then the epilogue.
    #[allow(clippy::too_many_arguments)]
    fn reference(
        a: &[f32],
        a_t: bool,
        b: &[f32],
        b_t: bool,
        (m, k, n): (usize, usize, usize),
        c: &[f32],
        beta: f32,
        bias: Option<&[f32]>,
        relu: bool,
    ) -> Vec<f32> {
        let av = |i: usize, p: usize| if a_t { a[p + i * k] } else { a[i + p * m] };
        let bv = |p: usize, j: usize| if b_t { b[j + p * n] } else { b[p + j * k] };
        let mut out = vec![0.0; m * n];
        for j in 0..n {
            for i in 0..m {
                let mut v: f64 = (0..k)
                    .map(|p| f64::from(av(i, p)) * f64::from(bv(p, j)))
                    .sum();
                if beta != 0.0 {
                    v += f64::from(beta) * f64::from(c[i + j * m]);
                }
                if let Some(bias) = bias {
                    v += f64::from(bias[i]);
                }
                if relu && v < 0.0 {
                    v = 0.0;
                }
                out[i + j * m] = v as f32;
            }
        }
        out
    }

    /// The kernels this CPU runs, the best first.
    fn kernels() -> Vec<Kernel> {
        let mut kernels = vec![Kernel::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if x86::avx2_available() {
                kernels.insert(0, Kernel::Avx2);
            }
            if x86::avx512_available() {
                kernels.insert(0, Kernel::Avx512);
            }
        }
        kernels
    }

    /// Every layout, edge and epilogue against the reference, on sizes that cross every tile,
    /// chunk and thread boundary, with the best kernel.
    fn check_every_layout() {
        check_every_layout_on(Kernel::here());
    }

    /// [`check_every_layout`] with `kernel`; the products it computed, in order.
    fn check_every_layout_on(kernel: Kernel) -> Vec<Vec<f32>> {
        let mut products = Vec::new();
        let sizes = [
            (1, 1, 1),
            (3, 2, 5),
            (16, 6, 6),
            (17, 129, 7),
            (33, 300, 13),
            (300, 784, 32),
            (100, 300, 32),
            (10, 100, 32),
            (784, 32, 300),
            (300, 100, 33),
            (5, 0, 4),
            (40, 257, 200),
            (70, 300, 200),
            (64, 9, 3),
        ];
        for (s, &(m, k, n)) in sizes.iter().enumerate() {
            for (a_t, b_t, sparse) in [
                (false, false, false),
                (false, true, false),
                (true, false, false),
                (true, true, false),
                (false, false, true),
                (false, true, true),
            ] {
                let a = values(m * k, s as u32 * 7 + 1);
                let mut b = values(k * n, s as u32 * 7 + 2);
                if sparse {
                    // Half zeros, in runs, with whole zero columns and rows.
                    for (i, v) in b.iter_mut().enumerate() {
                        if (i / 3) % 2 == 0 || i % 17 < 5 || (i / k.max(1)) % 4 == 1 {
                            *v = 0.0;
                        }
                    }
                }
                let c0 = values(m * n, s as u32 * 7 + 3);
                let bias = values(m, s as u32 * 7 + 4);
                let a_mat = if a_t {
                    Mat::new(&a, k, m).t()
                } else {
                    Mat::new(&a, m, k)
                };
                let b_mat = if b_t {
                    Mat::new(&b, n, k).t()
                } else {
                    Mat::new(&b, k, n)
                };
                for (beta, with_bias, relu) in [
                    (0.0, false, false),
                    (1.0, false, false),
                    (0.5, true, true),
                    (0.0, true, false),
                ] {
                    let bias = with_bias.then_some(&bias[..]);
                    let mut c = if beta == 0.0 {
                        vec![f32::NAN; m * n]
                    } else {
                        c0.clone()
                    };
                    gemm_on(kernel, &mut c, a_mat, b_mat, Epilogue { beta, bias, relu });
                    let expected = reference(&a, a_t, &b, b_t, (m, k, n), &c0, beta, bias, relu);
                    for (index, (got, want)) in c.iter().zip(&expected).enumerate() {
                        assert!(
                            (got - want).abs() <= 1e-4 * (1.0 + want.abs()) * (k as f32).sqrt(),
                            "{kernel:?} {m}x{k}x{n} a_t={a_t} b_t={b_t} sparse={sparse} beta={beta} \
                             bias={with_bias} relu={relu} at {index}: {got} vs {want}"
                        );
                    }
                    products.push(c);
                }
            }
        }
        products
    }

    #[test]
    fn products_match_a_reference_for_every_layout_edge_and_epilogue() {
        for kernel in kernels() {
            check_every_layout_on(kernel);
        }
    }

    /// The SIMD kernels sum in the same order with the same fused multiply-adds: AVX-512 and
    /// AVX2 give the same bits for every layout, edge and epilogue.
    #[test]
    fn every_simd_kernel_gives_the_same_bits() {
        let simd: Vec<Kernel> = kernels()
            .into_iter()
            .filter(|&k| k != Kernel::Portable)
            .collect();
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx512f")
            && std::env::var_os("DENSELY_NO_AVX512").is_none()
            && std::env::var_os("DENSELY_NO_SIMD").is_none()
        {
            assert_eq!(simd, [Kernel::Avx512, Kernel::Avx2], "both run here");
        }
        let bits = |kernel| -> Vec<Vec<u32>> {
            check_every_layout_on(kernel)
                .iter()
                .map(|c| c.iter().map(|v| v.to_bits()).collect())
                .collect()
        };
        if let [first, rest @ ..] = &simd[..] {
            let expected = bits(*first);
            for &kernel in rest {
                assert!(
                    bits(kernel) == expected,
                    "{kernel:?} differs from {first:?}"
                );
            }
        }
    }

    #[test]
    fn the_portable_kernel_matches_too() {
        let (m, k, n) = (37, 45, 29);
        let a = values(m * k, 1);
        let b = values(k * n, 2);
        let bias = values(m, 3);
        let product = |a_mat: Mat<'_>, b_mat: Mat<'_>, a_t: bool, b_t: bool| {
            let mut c = vec![0.0; m * n];
            let p = Product {
                a: a_mat,
                b: b_mat,
                c: c.as_mut_ptr(),
                ldc: m,
                m,
                n,
                k,
                beta: 0.0,
                bias: bias.as_ptr(),
                relu: true,
            };
            // SAFETY: the whole output.
            unsafe { portable::block(&p, 0..m, 0..n) };
            let expected = reference(&a, a_t, &b, b_t, (m, k, n), &c, 0.0, Some(&bias), true);
            for (got, want) in c.iter().zip(&expected) {
                assert!((got - want).abs() < 1e-4, "{got} vs {want}");
            }
        };
        product(Mat::new(&a, m, k), Mat::new(&b, k, n), false, false);
        product(Mat::new(&a, k, m).t(), Mat::new(&b, n, k).t(), true, true);
    }

    /// The value of a product as matrixmultiply sums it: in order, with fused multiply-adds,
    /// in chunks of 256 added to the result one after the other.
    #[allow(clippy::too_many_arguments)]
    fn in_order(
        a: &[f32],
        a_t: bool,
        b: &[f32],
        (m, k, n): (usize, usize, usize),
        c: &[f32],
        beta: f32,
        bias: Option<&[f32]>,
        relu: bool,
    ) -> Vec<f32> {
        let av = |i: usize, p: usize| if a_t { a[p + i * k] } else { a[i + p * m] };
        let mut out = vec![0.0; m * n];
        for j in 0..n {
            for i in 0..m {
                let mut total = 0.0f32;
                for (chunk, range) in (0..k.max(1)).step_by(256).enumerate() {
                    let mut acc = 0.0f32;
                    for q in range..(range + 256).min(k) {
                        acc = av(i, q).mul_add(b[q + j * k], acc);
                    }
                    total = if chunk > 0 {
                        total + acc
                    } else if beta != 0.0 {
                        beta.mul_add(c[i + j * m], acc)
                    } else {
                        acc
                    };
                }
                if let Some(bias) = bias {
                    total += bias[i];
                }
                if relu {
                    total = crate::activation::relu(total);
                }
                out[i + j * m] = total;
            }
        }
        out
    }

    #[test]
    fn sums_run_in_order_so_results_match_matrixmultiply_bit_for_bit() {
        for kernel in kernels().into_iter().filter(|&k| k != Kernel::Portable) {
            sums_run_in_order_on(kernel);
        }
    }

    fn sums_run_in_order_on(kernel: Kernel) {
        for &(m, k, n, sparse) in &[
            (300, 784, 32, true),
            (100, 300, 33, false),
            (70, 600, 200, true),
            (300, 100, 32, false),
        ] {
            let a = values(m * k, 5);
            let mut b = values(k * n, 6);
            if sparse {
                b.iter_mut()
                    .enumerate()
                    .filter(|(i, _)| (i / 5) % 2 == 0)
                    .for_each(|(_, v)| *v = 0.0);
            }
            let c0 = values(m * n, 7);
            let bias = values(m, 8);
            // The forward pass and the kernel gradient: contiguous columns of `a`.
            let mut c = vec![0.0; m * n];
            gemm_on(
                kernel,
                &mut c,
                Mat::new(&a, m, k),
                Mat::new(&b, k, n),
                Epilogue::bias(Some(&bias), true),
            );
            let expected = in_order(&a, false, &b, (m, k, n), &c0, 0.0, Some(&bias), true);
            assert!(c
                .iter()
                .zip(&expected)
                .all(|(x, y)| x.to_bits() == y.to_bits()));
            // The input gradient: `a` transposed, accumulated into `c`.
            let mut c = c0.clone();
            gemm_on(
                kernel,
                &mut c,
                Mat::new(&a, k, m).t(),
                Mat::new(&b, k, n),
                Epilogue::ACCUMULATE,
            );
            let expected = in_order(&a, true, &b, (m, k, n), &c0, 1.0, None, false);
            assert!(
                c.iter()
                    .zip(&expected)
                    .all(|(x, y)| x.to_bits() == y.to_bits()),
                "{kernel:?}: transposed {m}x{k}x{n}"
            );
        }
    }

    #[test]
    fn concurrent_callers_share_the_pool_safely() {
        std::thread::scope(|scope| {
            for _ in 0..3 {
                scope.spawn(check_every_layout);
            }
        });
    }
}
