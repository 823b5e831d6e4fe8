//! The x86-64 kernels: AVX2 with FMA, and AVX-512 where the CPU has it, chosen at run time.
//!
//! Both share the walk of a block ([`columns_with`]): chunks of [`KC`] steps, the values of
//! `b` packed step after step with the steps of zeros left out, the rows of a strided `a`
//! copied into contiguous columns. They differ only in their tiles: 16 rows in two 8-lane
//! vectors for AVX2 ([`avx2`]), 32 rows in two 16-lane vectors for AVX-512 ([`avx512`]). Each
//! value of a tile is summed in the same order with the same fused multiply-adds, so the two
//! give the same bits.

mod avx2;
mod avx512;

use std::arch::x86_64::*;
use std::ops::Range;
use std::sync::atomic::{AtomicU8, Ordering};

use super::Product;

/// The columns of a tile: `NR` broadcasts of `b` against the rows' vectors.
const NR: usize = super::COLUMN_TILE.1;
/// The inner dimension is summed in chunks of this many, added to the result one after
/// the other (matrixmultiply's order, so results don't change).
const KC: usize = 256;
/// Columns of `b` per block: their packed chunk (96 KB at most) stays in the L2 cache.
const NC: usize = 96;
/// The fewest rows for which skipping the zeros of `b` pays for looking for them.
const SKIP_MIN_ROWS: usize = 64;
/// The most rows a tile has.
const MAX_MR: usize = 32;

/// The rows of an AVX2 tile.
pub(super) const AVX2_ROWS: usize = avx2::Avx2::MR;
/// The rows of an AVX-512 tile.
pub(super) const AVX512_ROWS: usize = avx512::Avx512::MR;

/// Whether the CPU has AVX2 and FMA (and `$DENSELY_NO_SIMD` is not set), detected once.
pub(super) fn avx2_available() -> bool {
    static DETECTED: AtomicU8 = AtomicU8::new(0);
    detected(&DETECTED, || {
        std::env::var_os("DENSELY_NO_SIMD").is_none()
            && is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("fma")
    })
}

/// Whether the CPU has AVX-512F as well (and `$DENSELY_NO_AVX512` is not set), detected once.
pub(super) fn avx512_available() -> bool {
    static DETECTED: AtomicU8 = AtomicU8::new(0);
    detected(&DETECTED, || {
        avx2_available()
            && std::env::var_os("DENSELY_NO_AVX512").is_none()
            && is_x86_feature_detected!("avx512f")
    })
}

/// `probe()`, computed once and kept in `cell` (0: not yet, 1: yes, 2: no).
fn detected(cell: &AtomicU8, probe: impl FnOnce() -> bool) -> bool {
    match cell.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => {
            let yes = probe();
            cell.store(if yes { 1 } else { 2 }, Ordering::Relaxed);
            yes
        }
    }
}

/// The block `rows x cols` of `p` with the AVX2 tiles.
///
/// # Safety
/// The CPU must have AVX2 and FMA, and the ranges lie within the product's sizes.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn columns_avx2(p: &Product<'_>, rows: Range<usize>, cols: Range<usize>) {
    // SAFETY: as the caller promised.
    unsafe { columns_with::<avx2::Avx2>(p, rows, cols) }
}

/// The block `rows x cols` of `p` with the AVX-512 tiles.
///
/// # Safety
/// The CPU must have AVX-512F, AVX2 and FMA, and the ranges lie within the product's sizes.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(super) unsafe fn columns_avx512(p: &Product<'_>, rows: Range<usize>, cols: Range<usize>) {
    // SAFETY: as the caller promised.
    unsafe { columns_with::<avx512::Avx512>(p, rows, cols) }
}

/// A kind of tile: `MR` rows by up to [`NR`] columns.
trait Tiles {
    /// The rows of a full tile.
    const MR: usize;

    /// One tile of `rows` rows (at most `MR`) and `N` columns: `c[0..rows, 0..N] (+)=
    /// a[0..rows, q] * b[q, 0..N]` summed in order over the `count` steps `q = steps[s]`
    /// (`q = s` if `steps` is null), with `a` column-major (stride `lda`), `b` at strides
    /// `rsb` and `csb` (packed step after step by [`pack_b`]: `NR` and 1) and `c`
    /// column-major (stride `csc`), then `finish`.
    ///
    /// # Safety
    /// The CPU has the tile's instructions; the tile lies within `a`, `b` and `c`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile<const N: usize>(
        count: usize,
        steps: *const u8,
        a: *const f32,
        lda: usize,
        b: (*const f32, usize, usize),
        c: *mut f32,
        csc: usize,
        rows: usize,
        finish: Finish,
    );
}

/// What a tile does after its chunk of the inner dimension.
#[derive(Clone, Copy)]
pub(super) struct Finish {
    /// The factor of what `c` holds (0: not read).
    pub(super) beta: f32,
    /// The bias of the tile's first row, or null.
    pub(super) bias: *const f32,
    pub(super) relu: bool,
}

/// The block `rows x cols` of a product whose `a` has contiguous columns.
///
/// The inner dimension is walked in chunks of [`KC`]. For each chunk, the values of `b`
/// each tile of columns reads are first packed step after step (the packing of
/// matrixmultiply), leaving out the steps where they are all zero, when there are rows
/// enough to pay for looking (adding a zero product changes no sum); the tiles of rows
/// then read the packed values in order.
///
/// # Safety
/// The CPU must have what `T`'s tiles use (inlined into a function that enables it), and the
/// ranges lie within the product's sizes.
#[inline(always)]
unsafe fn columns_with<T: Tiles>(p: &Product<'_>, rows: Range<usize>, cols: Range<usize>) {
    const { assert!(T::MR <= MAX_MR && T::MR % 8 == 0) };
    const TILES: usize = NC / NR;
    let (a, b) = (p.a, p.b);
    let lda = a.col_stride;
    let (rsb, csb) = (b.row_stride, b.col_stride);
    let skip_zeros = p.m >= SKIP_MIN_ROWS;
    // The values of `b` are packed when several tiles of rows read them.
    let pack = rows.len() > T::MR;
    // The packed values and steps of each tile of columns of a chunk; written before they
    // are read, and not zeroed (this runs for every product, small ones too).
    let mut packed = std::mem::MaybeUninit::<[f32; TILES * KC * NR + 8]>::uninit();
    let packed = packed.as_mut_ptr().cast::<f32>();
    let mut steps = std::mem::MaybeUninit::<[u8; TILES * KC]>::uninit();
    let steps = steps.as_mut_ptr().cast::<u8>();
    let mut counts = [0usize; TILES];
    let mut a_packed = std::mem::MaybeUninit::<[f32; MAX_MR * KC]>::uninit();
    let a_packed = a_packed.as_mut_ptr().cast::<f32>();
    let mut n0 = cols.start;
    while n0 < cols.end {
        let n1 = (n0 + NC).min(cols.end);
        let tiles = (n1 - n0).div_ceil(NR);
        let mut q0 = 0;
        loop {
            let kc = KC.min(p.k - q0);
            let last = q0 + kc == p.k;
            for (t, count) in counts
                .iter_mut()
                .enumerate()
                .take(if pack { tiles } else { 0 })
            {
                let j0 = n0 + t * NR;
                // SAFETY: the chunk of these columns lies within b; tile t's part of the
                // buffers holds KC steps (and the last one 8 values more).
                *count = unsafe {
                    pack_b(
                        b.ptr().add(q0 * rsb + j0 * csb),
                        (rsb, csb),
                        kc,
                        NR.min(n1 - j0),
                        skip_zeros,
                        packed.add(t * KC * NR),
                        steps.add(t * KC),
                    )
                };
            }
            let mut i0 = rows.start;
            while i0 < rows.end {
                let mr = T::MR.min(rows.end - i0);
                let finish = Finish {
                    beta: if q0 == 0 { p.beta } else { 1.0 },
                    bias: if last && !p.bias.is_null() {
                        // SAFETY: the bias has m values.
                        unsafe { p.bias.add(i0) }
                    } else {
                        std::ptr::null()
                    },
                    relu: last && p.relu,
                };
                // A chunk of `a` whose rows are strided (`K^T` in `dx = K^T dz`) is first
                // copied into a block with contiguous columns.
                let a_chunk = if a.row_stride == 1 {
                    // SAFETY: the chunk lies within a.
                    (unsafe { a.ptr().add(i0 + q0 * lda) }, lda)
                } else {
                    // SAFETY: the chunk lies within a; `a_packed` holds MR x KC values.
                    unsafe {
                        pack_a(
                            a.ptr().add(i0 * a.row_stride + q0 * lda),
                            (a.row_stride, lda),
                            mr,
                            kc,
                            a_packed,
                            T::MR,
                        )
                    };
                    (a_packed.cast_const(), T::MR)
                };
                for (t, &count) in counts.iter().enumerate().take(tiles) {
                    let count = if pack { count } else { kc };
                    let j0 = n0 + t * NR;
                    let nc = NR.min(n1 - j0);
                    // SAFETY: the tile lies within a and c, and its packed values and
                    // steps were written above.
                    unsafe {
                        let (ap, lda) = a_chunk;
                        let bp = if pack {
                            (packed.add(t * KC * NR).cast_const(), NR, 1)
                        } else {
                            (b.ptr().add(q0 * rsb + j0 * csb), rsb, csb)
                        };
                        let sp = if !pack || count == kc {
                            std::ptr::null()
                        } else {
                            steps.add(t * KC).cast_const()
                        };
                        let cp = p.c.add(i0 + j0 * p.ldc);
                        let cs = p.ldc;
                        macro_rules! go {
                            ($n:literal) => {
                                T::tile::<$n>(count, sp, ap, lda, bp, cp, cs, mr, finish)
                            };
                        }
                        match nc {
                            6 => go!(6),
                            5 => go!(5),
                            4 => go!(4),
                            3 => go!(3),
                            2 => go!(2),
                            _ => go!(1),
                        }
                    }
                }
                i0 += mr;
            }
            q0 += kc;
            if last {
                break;
            }
        }
        n0 = n1;
    }
}

/// The transpose of 8 vectors of 8: lane `j` of vector `l` of the result is lane `l` of
/// vector `j`.
#[inline(always)]
pub(super) unsafe fn transpose8(v: [__m256; 8]) -> [__m256; 8] {
    unsafe {
        let t0 = _mm256_unpacklo_ps(v[0], v[1]);
        let t1 = _mm256_unpackhi_ps(v[0], v[1]);
        let t2 = _mm256_unpacklo_ps(v[2], v[3]);
        let t3 = _mm256_unpackhi_ps(v[2], v[3]);
        let t4 = _mm256_unpacklo_ps(v[4], v[5]);
        let t5 = _mm256_unpackhi_ps(v[4], v[5]);
        let t6 = _mm256_unpacklo_ps(v[6], v[7]);
        let t7 = _mm256_unpackhi_ps(v[6], v[7]);
        let s0 = _mm256_shuffle_ps::<0x44>(t0, t2);
        let s1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
        let s2 = _mm256_shuffle_ps::<0x44>(t1, t3);
        let s3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
        let s4 = _mm256_shuffle_ps::<0x44>(t4, t6);
        let s5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
        let s6 = _mm256_shuffle_ps::<0x44>(t5, t7);
        let s7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
        [
            _mm256_permute2f128_ps::<0x20>(s0, s4),
            _mm256_permute2f128_ps::<0x20>(s1, s5),
            _mm256_permute2f128_ps::<0x20>(s2, s6),
            _mm256_permute2f128_ps::<0x20>(s3, s7),
            _mm256_permute2f128_ps::<0x31>(s0, s4),
            _mm256_permute2f128_ps::<0x31>(s1, s5),
            _mm256_permute2f128_ps::<0x31>(s2, s6),
            _mm256_permute2f128_ps::<0x31>(s3, s7),
        ]
    }
}

/// Copies `rows` (at most `stride`, a multiple of 8) rows of `kc` steps of `a` (strides `rsa`,
/// `csa`) into `packed`, `stride` values per step, the missing rows as zeros.
#[inline(always)]
pub(super) unsafe fn pack_a(
    a: *const f32,
    (rsa, csa): (usize, usize),
    rows: usize,
    kc: usize,
    packed: *mut f32,
    stride: usize,
) {
    unsafe {
        let zero = _mm256_setzero_ps();
        let mut q = 0;
        if csa == 1 {
            // Each row is contiguous along the steps: blocks of 8 x 8, transposed.
            while q + 8 <= kc {
                for half in 0..stride / 8 {
                    let mut v = [zero; 8];
                    for (r, v) in v.iter_mut().enumerate() {
                        let row = half * 8 + r;
                        if row < rows {
                            *v = _mm256_loadu_ps(a.add(row * rsa + q));
                        }
                    }
                    for (l, column) in transpose8(v).iter().enumerate() {
                        _mm256_storeu_ps(packed.add((q + l) * stride + half * 8), *column);
                    }
                }
                q += 8;
            }
        }
        for q in q..kc {
            for r in 0..stride {
                *packed.add(q * stride + r) = if r < rows {
                    *a.add(r * rsa + q * csa)
                } else {
                    0.0
                };
            }
        }
    }
}

/// Packs a chunk of `kc` steps of `nc` columns of `b` (strides `rsb`, `csb`): for each step
/// kept, its `nc` values (`NR` apart, zero-padded) to `packed` and its index to `steps`;
/// returns the number kept. With `skip_zeros`, a step whose values are all zero is left out
/// (it adds nothing to a tile over these columns). `packed` has room for `kc * NR + 8`
/// values, `steps` for `kc`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn pack_b(
    b: *const f32,
    (rsb, csb): (usize, usize),
    kc: usize,
    nc: usize,
    skip_zeros: bool,
    packed: *mut f32,
    steps: *mut u8,
) -> usize {
    unsafe {
        let zero = _mm256_setzero_ps();
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        let columns = _mm256_cmpgt_epi32(_mm256_set1_epi32(nc as i32), lanes);
        let mut count = 0;
        if rsb == 1 && nc <= 8 {
            // Each column is contiguous along the steps: eight steps at a time, transposed.
            let mut q = 0;
            while q + 8 <= kc {
                let mut v = [zero; 8];
                for (j, v) in v.iter_mut().enumerate().take(nc) {
                    *v = _mm256_loadu_ps(b.add(q + j * csb));
                }
                let rows = transpose8(v);
                for (l, row) in rows.iter().enumerate() {
                    let nonzero = _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_NEQ_UQ>(*row, zero));
                    _mm256_storeu_ps(packed.add(count * NR), *row);
                    *steps.add(count) = (q + l) as u8;
                    count += usize::from(nonzero != 0 || !skip_zeros);
                }
                q += 8;
            }
            let mut values = [0.0f32; 8];
            for q in q..kc {
                let mut any = false;
                for (j, value) in values.iter_mut().enumerate().take(nc) {
                    *value = *b.add(q + j * csb);
                    any |= *value != 0.0;
                }
                _mm256_storeu_ps(packed.add(count * NR), _mm256_loadu_ps(values.as_ptr()));
                *steps.add(count) = q as u8;
                count += usize::from(any || !skip_zeros);
            }
        } else if csb == 1 {
            // The values of a step are contiguous: one masked load per step.
            for q in 0..kc {
                let v = _mm256_maskload_ps(b.add(q * rsb), columns);
                let nonzero = _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_NEQ_UQ>(v, zero));
                // Written in any case (the padding lanes are zeros); kept if it counts.
                _mm256_storeu_ps(packed.add(count * NR), v);
                *steps.add(count) = q as u8;
                count += usize::from(nonzero != 0 || !skip_zeros);
            }
        } else {
            let mut values = [0.0f32; 8];
            for q in 0..kc {
                let mut any = false;
                for (j, value) in values.iter_mut().enumerate().take(nc) {
                    *value = *b.add(q * rsb + j * csb);
                    any |= *value != 0.0;
                }
                _mm256_storeu_ps(packed.add(count * NR), _mm256_loadu_ps(values.as_ptr()));
                *steps.add(count) = q as u8;
                count += usize::from(any || !skip_zeros);
            }
        }
        count
    }
}
