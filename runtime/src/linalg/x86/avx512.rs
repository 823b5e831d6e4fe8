//! The AVX-512 tile: 32 rows in two 16-lane vectors by up to 6 columns, the AVX2 tile's
//! sums in its order, twice the rows per broadcast of `b`.

use std::arch::x86_64::*;

use super::{Finish, Tiles};

/// 32 x 6 tiles: 12 accumulators, 2 vectors of `a` and a broadcast of `b` in 15 of the 32
/// vector registers.
pub(super) struct Avx512;

impl Tiles for Avx512 {
    const MR: usize = 32;

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
            } else if rows > 16 {
                tile::<N, false, true>(count, steps, a, lda, b, c, csc, rows, finish)
            } else {
                tile::<N, false, false>(count, steps, a, lda, b, c, csc, rows, finish)
            }
        }
    }
}

/// Lane masks for the first `rows` of 32 rows.
#[inline(always)]
fn row_masks(rows: usize) -> (__mmask16, __mmask16) {
    let lanes = |rows: usize| -> __mmask16 {
        if rows >= 16 {
            0xFFFF
        } else {
            ((1u32 << rows) - 1) as __mmask16
        }
    };
    (lanes(rows), lanes(rows.saturating_sub(16)))
}

/// [`Tiles::tile`] with 32 rows, all of them if `FULL`, more than 16 if `TWO` (else the
/// second vector of rows is left out). Masked loads and stores touch no row past `rows`.
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
            (0xFFFF, 0xFFFF)
        } else {
            row_masks(rows)
        };
        // Macros, not closures: the accumulators must stay in registers, and closures need
        // not inherit the target features.
        macro_rules! load {
            ($p:expr, $mask:expr) => {{
                let p: *const f32 = $p;
                if FULL {
                    _mm512_loadu_ps(p)
                } else {
                    _mm512_maskz_loadu_ps($mask, p)
                }
            }};
        }
        let mut acc0 = [_mm512_setzero_ps(); N];
        let mut acc1 = [_mm512_setzero_ps(); N];
        macro_rules! step {
            ($ap:expr, $bp:expr) => {{
                let (ap, bp): (*const f32, *const f32) = ($ap, $bp);
                let a0 = load!(ap, mask0);
                let a1 = if TWO {
                    load!(ap.add(16), mask1)
                } else {
                    _mm512_setzero_ps()
                };
                for j in 0..N {
                    let bj = _mm512_set1_ps(*bp.add(j * csb));
                    acc0[j] = _mm512_fmadd_ps(a0, bj, acc0[j]);
                    if TWO {
                        acc1[j] = _mm512_fmadd_ps(a1, bj, acc1[j]);
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
        let zero = _mm512_setzero_ps();
        let beta = _mm512_set1_ps(finish.beta);
        let (bias0, bias1) = if finish.bias.is_null() {
            (zero, zero)
        } else if TWO {
            (load!(finish.bias, mask0), load!(finish.bias.add(16), mask1))
        } else {
            (load!(finish.bias, mask0), zero)
        };
        macro_rules! finish {
            ($value:expr, $cp:expr, $mask:expr, $bias:expr) => {{
                let cp: *mut f32 = $cp;
                let mut value = $value;
                if finish.beta != 0.0 {
                    value = _mm512_fmadd_ps(beta, load!(cp, $mask), value);
                }
                if !finish.bias.is_null() {
                    value = _mm512_add_ps(value, $bias);
                }
                if finish.relu {
                    // maxps returns its second operand when either is NaN: NaN stays NaN.
                    value = _mm512_max_ps(zero, value);
                }
                if FULL {
                    _mm512_storeu_ps(cp, value)
                } else {
                    _mm512_mask_storeu_ps(cp, $mask, value)
                }
            }};
        }
        for j in 0..N {
            let cp = c.add(j * csc);
            finish!(acc0[j], cp, mask0, bias0);
            if TWO {
                finish!(acc1[j], cp.add(16), mask1, bias1);
            }
        }
    }
}
