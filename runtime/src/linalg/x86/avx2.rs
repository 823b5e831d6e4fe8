//! The AVX2 tile: 16 rows in two 8-lane vectors by up to 6 columns.

use std::arch::x86_64::*;

use super::{Finish, Tiles};

/// 16 x 6 tiles: 12 accumulators, 2 vectors of `a` and a broadcast of `b` take 15 of the 16
/// vector registers. (24 x 4 tiles, which would skip more zeros, spill.)
pub(super) struct Avx2;

impl Tiles for Avx2 {
    const MR: usize = 16;

    #[inline(always)]
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
    ) {
        // SAFETY: as the caller promised.
        unsafe {
            if rows == Self::MR {
                tile::<N, true, true>(count, steps, a, lda, b, c, csc, rows, finish)
            } else if rows > 8 {
                tile::<N, false, true>(count, steps, a, lda, b, c, csc, rows, finish)
            } else {
                tile::<N, false, false>(count, steps, a, lda, b, c, csc, rows, finish)
            }
        }
    }
}

/// Lane masks for the first `rows` of 16 rows.
#[inline(always)]
unsafe fn row_masks(rows: usize) -> (__m256i, __m256i) {
    unsafe {
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        let rows = _mm256_set1_epi32(rows as i32);
        let first = _mm256_cmpgt_epi32(rows, lanes);
        let second = _mm256_cmpgt_epi32(rows, _mm256_add_epi32(lanes, _mm256_set1_epi32(8)));
        (first, second)
    }
}

/// [`Tiles::tile`] with 16 rows, all of them if `FULL`, more than 8 if `TWO` (else the second
/// vector of rows is left out).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<const N: usize, const FULL: bool, const TWO: bool>(
    count: usize,
    steps: *const u8,
    a: *const f32,
    lda: usize,
    (b, rsb, csb): (*const f32, usize, usize),
    c: *mut f32,
    csc: usize,
    rows: usize,
    finish: Finish,
) {
    unsafe {
        let (mask0, mask1) = if FULL {
            let all = _mm256_set1_epi32(-1);
            (all, all)
        } else {
            row_masks(rows)
        };
        // Macros, not closures: the accumulators must stay in registers, and closures
        // need not inherit the target features.
        macro_rules! load {
            ($p:expr, $mask:expr) => {{
                let p: *const f32 = $p;
                if FULL {
                    _mm256_loadu_ps(p)
                } else {
                    _mm256_maskload_ps(p, $mask)
                }
            }};
        }
        let mut acc0 = [_mm256_setzero_ps(); N];
        let mut acc1 = [_mm256_setzero_ps(); N];
        macro_rules! step {
            ($ap:expr, $bp:expr) => {{
                let (ap, bp): (*const f32, *const f32) = ($ap, $bp);
                let a0 = load!(ap, mask0);
                let a1 = if TWO {
                    load!(ap.add(8), mask1)
                } else {
                    _mm256_setzero_ps()
                };
                for j in 0..N {
                    let bj = _mm256_broadcast_ss(&*bp.add(j * csb));
                    acc0[j] = _mm256_fmadd_ps(a0, bj, acc0[j]);
                    if TWO {
                        acc1[j] = _mm256_fmadd_ps(a1, bj, acc1[j]);
                    }
                }
            }};
        }
        let mut bp = b;
        if steps.is_null() {
            // Every step, in order.
            let mut ap = a;
            for _ in 0..count {
                step!(ap, bp);
                ap = ap.add(lda);
                bp = bp.add(rsb);
            }
        } else {
            for s in 0..count {
                step!(a.add(usize::from(*steps.add(s)) * lda), bp);
                bp = bp.add(rsb);
            }
        }
        let zero = _mm256_setzero_ps();
        let beta = _mm256_set1_ps(finish.beta);
        let (bias0, bias1) = if finish.bias.is_null() {
            (zero, zero)
        } else if TWO {
            (load!(finish.bias, mask0), load!(finish.bias.add(8), mask1))
        } else {
            (load!(finish.bias, mask0), zero)
        };
        macro_rules! finish {
            ($value:expr, $cp:expr, $mask:expr, $bias:expr) => {{
                let cp: *mut f32 = $cp;
                let mut value = $value;
                if finish.beta != 0.0 {
                    value = _mm256_fmadd_ps(beta, load!(cp, $mask), value);
                }
                if !finish.bias.is_null() {
                    value = _mm256_add_ps(value, $bias);
                }
                if finish.relu {
                    // maxps returns its second operand when either is NaN: NaN stays NaN.
                    value = _mm256_max_ps(zero, value);
                }
                if FULL {
                    _mm256_storeu_ps(cp, value)
                } else {
                    _mm256_maskstore_ps(cp, $mask, value)
                }
            }};
        }
        for j in 0..N {
            let cp = c.add(j * csc);
            finish!(acc0[j], cp, mask0, bias0);
            if TWO {
                finish!(acc1[j], cp.add(8), mask1, bias1);
            }
        }
    }
}
