use super::*;

fn assert_close(actual: f64, expected: f64, tol: f64) {
    assert!(
        (actual - expected).abs() <= tol * expected.abs().max(1.0),
        "{actual} vs {expected}"
    );
}

/// Deterministic pseudo-random values in [-1, 1).
fn pseudo_random(n: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        })
        .collect()
}

/// Central difference of `f` in each coordinate of `x`, with step 1e-3.
fn numeric_gradient(x: &[f32], f: impl Fn(&[f32]) -> f64) -> Vec<f64> {
    let eps = 1e-3_f32;
    (0..x.len())
        .map(|i| {
            let (mut plus, mut minus) = (x.to_vec(), x.to_vec());
            plus[i] += eps;
            minus[i] -= eps;
            (f(&plus) - f(&minus)) / (f64::from(plus[i]) - f64::from(minus[i]))
        })
        .collect()
}

/// Asserts `analytic ≈ numeric` within 1e-4 absolute plus 1e-2 relative.
fn assert_gradient(analytic: &[f32], numeric: &[f64], what: &str) {
    assert_eq!(analytic.len(), numeric.len());
    for (i, (&a, &n)) in analytic.iter().zip(numeric).enumerate() {
        let err = (f64::from(a) - n).abs();
        assert!(
            err <= 1e-4 + 1e-2 * n.abs(),
            "{what}[{i}]: analytic {a}, numeric {n}"
        );
    }
}

/// Targets of either kind, owned.
#[derive(Clone)]
enum Targets {
    Classes(Vec<u32>),
    Values(Vec<f32>),
}

impl Targets {
    fn view(&self) -> TargetView<'_> {
        match self {
            Targets::Classes(labels) => TargetView::Classes(labels),
            Targets::Values(values) => TargetView::Values(values),
        }
    }
}

/// The summed weighted loss (`mean_loss` over one "sample").
fn summed(loss: &Loss, y: &[f32], t: &Targets, units: usize, weights: Option<&[f32]>) -> f64 {
    loss.mean_loss(y, t.view(), units, 1, weights)
}

/// Checks `loss_gradient` against finite differences of `mean_loss`, weighted or not,
/// overwriting and accumulating.
fn check_gradient(loss: &Loss, y: &[f32], t: &Targets, units: usize, weights: Option<&[f32]>) {
    let what = format!("{loss:?}");
    let scale = 0.5;
    let numeric: Vec<f64> = numeric_gradient(y, |y| summed(loss, y, t, units, weights))
        .into_iter()
        .map(|g| f64::from(scale) * g)
        .collect();
    let mut grad = vec![f32::NAN; y.len()];
    loss.loss_gradient(y, t.view(), units, scale, weights, &mut grad, false);
    assert_gradient(&grad, &numeric, &what);
    assert!(grad.iter().any(|&g| g != 0.0), "{what}: all zero");

    let start = pseudo_random(y.len(), 3);
    let mut sums = start.clone();
    loss.loss_gradient(y, t.view(), units, scale, weights, &mut sums, true);
    for ((&s, &a), &g) in sums.iter().zip(&start).zip(&grad) {
        assert!(
            (s - (a + g)).abs() <= 1e-6 * (1.0 + g.abs()),
            "{what}: {s} != {a} + {g}"
        );
    }
}

fn loss(name: &str, args: &[(&str, Value)]) -> Loss {
    args.iter()
        .fold(Loss::named(name).unwrap(), |loss, (arg, value)| {
            loss.with(arg, value.clone()).unwrap()
        })
}

// Two samples of three probabilities; the second sums to 2 and is normalised.
const PROBS: [f32; 6] = [0.2, 0.3, 0.5, 0.2, 1.4, 0.4];

#[test]
fn cross_entropies_on_probabilities() {
    let sparse = summed(
        &loss("sparse_categorical_crossentropy", &[]),
        &PROBS,
        &Targets::Classes(vec![2, 1]),
        3,
        None,
    );
    // -ln 0.5 - ln 0.7
    assert_close(sparse, 1.049_822_124_498_677_8, 1e-6);
    let target = Targets::Values(vec![0.0, 0.0, 1.0, 0.5, 0.5, 0.0]);
    let categorical = summed(
        &loss("categorical_crossentropy", &[]),
        &PROBS,
        &target,
        3,
        None,
    );
    // -ln 0.5 - 0.5 ln 0.1 - 0.5 ln 0.7
    assert_close(categorical, 2.022_777_199_026_334, 1e-6);
    // Smoothing by 0.3 over 3 classes reads the first target as (0.1, 0.1, 0.8).
    let smoothed = loss(
        "categorical_crossentropy",
        &[("label_smoothing", 0.3.into())],
    );
    let first = Targets::Values(vec![0.0, 0.0, 1.0]);
    let expected = -0.1 * 0.2f64.ln() - 0.1 * 0.3f64.ln() - 0.8 * 0.5f64.ln();
    assert_close(
        summed(&smoothed, &PROBS[..3], &first, 3, None),
        expected,
        1e-6,
    );
}

#[test]
fn binary_crossentropy_clips() {
    let bce = loss("binary_crossentropy", &[]);
    let t = Targets::Values(vec![1.0, 0.0, 0.0, 0.0]);
    // (-ln 0.9 - ln 0.8) / 2 + (-ln 0.4 - ln(1 - 1e-7)) / 2
    let value = summed(&bce, &[0.9, 0.2, 0.6, 0.0], &t, 2, None);
    assert_close(value, 0.622_397_449_423_097_9, 1e-6);
    // A confidently wrong prediction costs -ln(1e-7), not infinity.
    let value = summed(&bce, &[0.0], &Targets::Values(vec![1.0]), 1, None);
    assert_close(value, 16.118_095_650_958_32, 1e-5);
}

#[test]
fn regression_values() {
    let y = [1.0, 2.0, 3.0, 5.0];
    let t = Targets::Values(vec![0.5, 2.0, 1.0, 1.0]);
    let of = |name: &str, args: &[(&str, Value)]| summed(&loss(name, args), &y, &t, 2, None);
    // Errors (0.5, 0) and (2, 4), averaged per sample, summed over the two samples.
    assert_close(of("mse", &[]), 0.125 + 10.0, 1e-12);
    assert_close(of("mae", &[]), 0.25 + 3.0, 1e-12);
    assert_close(of("huber", &[]), 0.0625 + (1.5 + 3.5) / 2.0, 1e-12);
    // With delta 2: 0.125 for 0.5; 2 for 2 (quadratic up to delta); 2 * 4 - 2 = 6 for 4.
    assert_close(of("huber", &[("delta", 2.0.into())]), 0.0625 + 4.0, 1e-12);
    let log_cosh = |e: f64| e.cosh().ln();
    let expected = (log_cosh(0.5) + log_cosh(2.0) + log_cosh(4.0)) / 2.0;
    assert_close(of("log_cosh", &[]), expected, 1e-12);
    // 100 |e| / |t|: 100 and 0, 200 and 400.
    assert_close(of("mape", &[]), 50.0 + 300.0, 1e-6);
}

#[test]
fn hinges_read_zero_one_targets_as_signs() {
    let hinge = loss("hinge", &[]);
    let y = [0.3, -2.0];
    // 0/1 targets become (1, -1): margins 0.7 and 0, mean 0.35.
    let value = summed(&hinge, &y, &Targets::Values(vec![1.0, 0.0]), 2, None);
    assert_close(value, 0.35, 1e-7);
    let same = summed(&hinge, &y, &Targets::Values(vec![1.0, -1.0]), 2, None);
    assert_close(value, same, 1e-12);
    // Targets that are not all 0 or 1 are read as given: margins 1 - 0.15 and 1 + 1.
    let value = summed(&hinge, &y, &Targets::Values(vec![0.5, 1.0]), 2, None);
    assert_close(value, (0.85 + 3.0) / 2.0, 1e-7);
    let squared = summed(
        &loss("squared_hinge", &[]),
        &y,
        &Targets::Values(vec![1.0, 0.0]),
        2,
        None,
    );
    assert_close(squared, 0.49 / 2.0, 1e-7);
    // neg = max(0.3 (1 - 0) ... ) over the wrong classes, pos the right one's score.
    let categorical = summed(
        &loss("categorical_hinge", &[]),
        &[0.3, 1.2, -0.5],
        &Targets::Values(vec![0.0, 0.0, 1.0]),
        3,
        None,
    );
    assert_close(categorical, 1.2 + 0.5 + 1.0, 1e-7);
}

#[test]
fn distribution_losses() {
    let t = Targets::Values(vec![0.25, 0.75, 0.0]);
    let y = [0.5, 0.5, 0.0];
    let kld = summed(&loss("kl_divergence", &[]), &y, &t, 3, None);
    let eps = 1e-7f64;
    let expected = 0.25 * 0.5f64.ln() + 0.75 * 1.5f64.ln() + eps * (eps / eps).ln();
    assert_close(kld, expected, 1e-6);
    let poisson = summed(
        &loss("poisson", &[]),
        &[2.0, 0.5],
        &Targets::Values(vec![3.0, 0.0]),
        2,
        None,
    );
    assert_close(poisson, (2.0 - 3.0 * 2.0f64.ln() + 0.5) / 2.0, 1e-6);
    let msle = summed(
        &loss("msle", &[]),
        &[1.0, -1.0],
        &Targets::Values(vec![3.0, 0.0]),
        2,
        None,
    );
    // ln 2 - ln 4, then a negative prediction counts as 1e-7, as does the zero target.
    let gap = 2.0f64.ln() - 4.0f64.ln();
    assert_close(msle, gap * gap / 2.0, 1e-6);
    let cosine = summed(
        &loss("cosine_similarity", &[]),
        &[3.0, 4.0],
        &Targets::Values(vec![4.0, 3.0]),
        2,
        None,
    );
    assert_close(cosine, -24.0 / 25.0, 1e-7);
}

#[test]
fn gradients_match_finite_differences() {
    let labels = Targets::Classes(vec![2, 1]);
    let soft = Targets::Values(vec![0.0, 0.0, 1.0, 0.5, 0.5, 0.0]);
    let logits: Vec<f32> = pseudo_random(6, 5).iter().map(|v| 2.0 * v).collect();
    let cases: Vec<(Loss, Vec<f32>, Targets, usize)> = vec![
        (
            loss("sparse_categorical_crossentropy", &[]),
            PROBS.to_vec(),
            labels.clone(),
            3,
        ),
        (
            loss(
                "sparse_categorical_crossentropy",
                &[("from_logits", true.into())],
            ),
            logits.clone(),
            labels,
            3,
        ),
        (
            loss("categorical_crossentropy", &[]),
            PROBS.to_vec(),
            soft.clone(),
            3,
        ),
        (
            loss(
                "categorical_crossentropy",
                &[("label_smoothing", 0.2.into())],
            ),
            PROBS.to_vec(),
            soft.clone(),
            3,
        ),
        (
            loss(
                "categorical_crossentropy",
                &[
                    ("from_logits", true.into()),
                    ("label_smoothing", 0.1.into()),
                ],
            ),
            logits.clone(),
            soft,
            3,
        ),
        (
            loss("binary_crossentropy", &[("label_smoothing", 0.2.into())]),
            vec![0.9, 0.2, 0.6, 0.35],
            Targets::Values(vec![1.0, 0.0, 0.0, 0.7]),
            1,
        ),
        (
            loss("binary_crossentropy", &[("from_logits", true.into())]),
            logits[..4].to_vec(),
            Targets::Values(vec![1.0, 0.0, 0.0, 0.7]),
            1,
        ),
        (
            loss("categorical_hinge", &[]),
            vec![0.3, 1.2, -0.5, 0.9, -0.2, 0.1],
            Targets::Values(vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]),
            3,
        ),
        (
            loss("kl_divergence", &[]),
            PROBS.iter().map(|p| p / 2.0).collect(),
            Targets::Values(vec![0.1, 0.2, 0.7, 0.5, 0.5, 0.0]),
            3,
        ),
        (
            loss("poisson", &[]),
            vec![0.4, 1.3, 2.2, 0.9, 3.0, 0.2],
            Targets::Values(vec![1.0, 0.0, 3.0, 2.0, 1.0, 0.0]),
            3,
        ),
        (
            loss("msle", &[]),
            vec![0.4, 1.3, 2.2, 0.9, 3.0, 0.2],
            Targets::Values(vec![1.0, 0.0, 3.0, 2.0, 1.0, 0.0]),
            3,
        ),
        (
            loss("cosine_similarity", &[]),
            vec![0.4, -1.3, 2.2, 0.9, 3.0, 0.2],
            Targets::Values(vec![1.0, 0.5, 3.0, -2.0, 1.0, 0.0]),
            3,
        ),
    ];
    // The value-by-value losses, at points away from their kinks.
    let y = vec![1.0, 2.3, 3.0, 5.0, -0.2, 0.4];
    let t = Targets::Values(vec![0.5, 2.0, 1.0, 1.0, 0.1, 1.9]);
    let signs = Targets::Values(vec![1.0, 0.0, 0.0, 1.0, 1.0, 0.0]);
    let margins = vec![0.3, 0.8, -0.4, 0.5, -0.9, 0.2];
    let regression = [
        loss("mse", &[]),
        loss("mae", &[]),
        loss("huber", &[]),
        loss("huber", &[("delta", 0.7.into())]),
        loss("log_cosh", &[]),
        loss("mape", &[]),
    ];
    let cases = cases
        .into_iter()
        .chain(regression.into_iter().map(|l| (l, y.clone(), t.clone(), 3)))
        .chain(
            [loss("hinge", &[]), loss("squared_hinge", &[])]
                .into_iter()
                .map(|l| (l, margins.clone(), signs.clone(), 3)),
        );
    for (loss, y, t, units) in cases {
        check_gradient(&loss, &y, &t, units, None);
        check_gradient(
            &loss,
            &y,
            &t,
            units,
            Some(&[0.25, 3.0, 1.5, 0.5][..y.len() / units]),
        );
    }
}

#[test]
fn a_zero_weight_takes_a_sample_out() {
    let mse = loss("mse", &[]);
    let y = [1.0, 2.3, 3.0, 5.0, -0.2, 0.4];
    let t = Targets::Values(vec![0.5, 2.0, 1.0, 1.0, 0.1, 1.9]);
    let mut grad = [f32::NAN; 6];
    mse.loss_gradient(&y, t.view(), 3, 1.0, Some(&[0.0, 1.0]), &mut grad, false);
    assert_eq!(&grad[..3], &[0.0; 3]);
    let alone = summed(
        &mse,
        &y[3..],
        &Targets::Values(vec![1.0, 0.1, 1.9]),
        3,
        None,
    );
    assert_close(summed(&mse, &y, &t, 3, Some(&[0.0, 1.0])), alone, 1e-12);
}

#[test]
fn gradients_vanish_where_clipping_is_active() {
    let mut grad = [f32::NAN; 3];
    let sparse = loss("sparse_categorical_crossentropy", &[]);
    let labels = Targets::Classes(vec![1]);
    sparse.loss_gradient(
        &[0.0, 2.0, 0.0],
        labels.view(),
        3,
        1.0,
        None,
        &mut grad,
        false,
    );
    assert_eq!(grad, [0.0; 3]);
    let bce = loss("binary_crossentropy", &[]);
    let t = Targets::Values(vec![1.0, 0.0, 1.0]);
    bce.loss_gradient(&[0.0, 1.0, 0.5], t.view(), 1, 1.0, None, &mut grad, false);
    assert_eq!(grad[..2], [0.0, 0.0]);
    assert_close(f64::from(grad[2]), -2.0, 1e-6);
}

/// A stable softmax of each sample.
fn softmax(z: &[f32], units: usize) -> Vec<f32> {
    z.chunks(units)
        .flat_map(|z| {
            let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let e: Vec<f32> = z.iter().map(|&z| (z - max).exp()).collect();
            let sum: f32 = e.iter().sum();
            e.into_iter().map(move |e| e / sum)
        })
        .collect()
}

fn sigmoid(z: &[f32]) -> Vec<f32> {
    z.iter().map(|&z| crossentropy::sigmoid(z)).collect()
}

const UNITS: usize = 4;

fn logits() -> Vec<f32> {
    pseudo_random(3 * UNITS, 5)
        .iter()
        .map(|v| 2.0 * v)
        .collect()
}

/// The fused loss of `plain` (from the output's logits) equals `plain` on the output's
/// probabilities and `plain` from logits, and its gradient in the logits matches finite
/// differences; weighted or not.
fn check_fused(
    plain: Loss,
    activation: fn(&[f32]) -> Vec<f32>,
    t: &Targets,
    weights: Option<&[f32]>,
) {
    let z = logits();
    let y = activation(&z);
    let from_logits = plain.clone().with("from_logits", true).unwrap();
    let fused = |z: &[f32], dz: Option<&mut [f32]>| {
        plain
            .fused(z, &activation(z), t.view(), UNITS, 0.25, weights, dz)
            .unwrap()
    };
    let mut dz = vec![f32::NAN; z.len()];
    let value = fused(&z, Some(&mut dz));
    let what = format!("fused {plain:?}");
    assert_close(value, summed(&plain, &y, t, UNITS, weights), 1e-5);
    assert_close(value, summed(&from_logits, &z, t, UNITS, weights), 1e-9);
    let numeric: Vec<f64> = numeric_gradient(&z, |z| 0.25 * fused(z, None))
        .into_iter()
        .collect();
    assert_gradient(&dz, &numeric, &what);
    let mut from_logits_dz = vec![f32::NAN; z.len()];
    from_logits.loss_gradient(
        &z,
        t.view(),
        UNITS,
        0.25,
        weights,
        &mut from_logits_dz,
        false,
    );
    assert_gradient(&from_logits_dz, &numeric, &format!("{from_logits:?}"));
}

#[test]
fn fused_losses_match_the_plain_ones_and_finite_differences() {
    let softmax_of = |z: &[f32]| softmax(z, UNITS);
    let labels = Targets::Classes(vec![3, 0, 2]);
    // The second sample's targets sum to 0.8, so dz's `y Σt` term matters.
    let onehot = Targets::Values(vec![
        0.0, 0.0, 0.0, 1.0, 0.3, 0.5, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0,
    ]);
    let binary = Targets::Values(
        pseudo_random(3 * UNITS, 9)
            .iter()
            .map(|t| t.abs())
            .collect(),
    );
    for weights in [None, Some(&[0.5, 0.0, 2.0][..])] {
        check_fused(
            loss("sparse_categorical_crossentropy", &[]),
            softmax_of,
            &labels,
            weights,
        );
        check_fused(
            loss("categorical_crossentropy", &[]),
            softmax_of,
            &onehot,
            weights,
        );
        let smoothed = loss(
            "categorical_crossentropy",
            &[("label_smoothing", 0.1.into())],
        );
        check_fused(smoothed, softmax_of, &onehot, weights);
        let binary_loss = loss("binary_crossentropy", &[]);
        check_fused(binary_loss.clone(), sigmoid, &binary, weights);
        let smoothed = binary_loss.with("label_smoothing", 0.2).unwrap();
        check_fused(smoothed, sigmoid, &binary, weights);
    }
}

#[test]
fn fused_losses_are_finite_for_huge_logits() {
    let z = [1e4, -1e4, 0.0, 0.0];
    let y = softmax(&z, UNITS);
    let mut dz = [f32::NAN; 4];
    let sparse = loss("sparse_categorical_crossentropy", &[]);
    let labels = Targets::Classes(vec![1]);
    let value = sparse.fused(&z, &y, labels.view(), UNITS, 1.0, None, Some(&mut dz));
    assert_close(value.unwrap(), 2e4, 1e-6);
    assert_eq!(dz, [1.0, -1.0, 0.0, 0.0]);

    let categorical = loss("categorical_crossentropy", &[]);
    let t = Targets::Values(vec![0.0, 1.0, 0.0, 0.0]);
    let value = categorical.fused(&z, &y, t.view(), UNITS, 1.0, None, Some(&mut dz));
    assert_close(value.unwrap(), 2e4, 1e-6);
    assert_eq!(dz, [1.0, -1.0, 0.0, 0.0]);

    let binary = loss("binary_crossentropy", &[]);
    let t = Targets::Values(vec![0.0, 1.0, 1.0, 0.0]);
    let value = binary.fused(&z, &sigmoid(&z), t.view(), UNITS, 1.0, None, Some(&mut dz));
    // (1e4 + 1e4 + ln 2 + ln 2) / 4
    assert_close(value.unwrap(), 5e3 + 0.5 * std::f64::consts::LN_2, 1e-6);
    assert_eq!(dz, [0.25, -0.25, -0.125, 0.125]);
}

#[test]
fn only_the_losses_of_an_activation_fuse() {
    assert_eq!(
        loss("categorical_crossentropy", &[]).fuses_with(),
        Some(ActivationKind::Softmax)
    );
    assert_eq!(loss("bce", &[]).fuses_with(), Some(ActivationKind::Sigmoid));
    let from_logits = loss("bce", &[("from_logits", true.into())]);
    assert_eq!(from_logits.fuses_with(), None);
    assert_eq!(loss("hinge", &[]).fuses_with(), None);
    let (z, t) = ([0.5], Targets::Values(vec![1.0]));
    assert_eq!(
        from_logits.fused(&z, &z, t.view(), 1, 1.0, None, None),
        None
    );
}

#[test]
fn arguments_are_checked_and_listed() {
    let error = Loss::named("mse")
        .unwrap()
        .with("from_logits", true)
        .unwrap_err();
    assert_eq!(
        error.message,
        "mse takes no argument `from_logits`; it takes none"
    );
    let error = Loss::named("bce")
        .unwrap()
        .with("smoothing", 0.1)
        .unwrap_err();
    assert_eq!(
        error.message,
        "binary_crossentropy takes no argument `smoothing`; it takes `from_logits`, `label_smoothing`"
    );
    let error = Loss::named("bce")
        .unwrap()
        .with("label_smoothing", 1.5)
        .unwrap_err();
    assert!(
        error.message.contains("label_smoothing"),
        "{}",
        error.message
    );
    let smoothed = loss(
        "categorical_crossentropy",
        &[("label_smoothing", 0.1.into())],
    );
    assert_eq!(
        smoothed.given_args(),
        [("label_smoothing", Value::Float(0.1))]
    );
    assert_eq!(
        smoothed.args(),
        [
            ("from_logits", Value::Bool(false)),
            ("label_smoothing", Value::Float(0.1))
        ]
    );
    let rebuilt = smoothed.given_args().into_iter().try_fold(
        Loss::new(LossKind::CategoricalCrossentropy),
        |loss, (arg, value)| loss.with(arg, value),
    );
    assert_eq!(rebuilt, Ok(smoothed));
    const DECLARED: Loss = Loss::declared(
        LossKind::CategoricalCrossentropy,
        &[Value::Bool(false), Value::Float(0.1)],
    );
    assert_eq!(DECLARED, rebuilt.unwrap());
    assert_eq!(loss("huber", &[]).given_args(), []);
}
