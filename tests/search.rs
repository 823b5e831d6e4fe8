//! The randomized search: seeded and reproducible, the best trial is the best score and its
//! model scores it, diverging trials are kept without a score, and the table goes to CSV.

mod common;

use common::{rng, uniform};
use densely::dynamic::{dense, DynamicModel, Sequential};
use densely::prelude::*;
use densely::search::{Params, RandomSearch, Space, Value};

type Data = (Batch<Shape1<4>>, Batch<Shape1<1>>);

fn data(samples: usize, seed: u64) -> Data {
    let mut values = rng(seed);
    let x = Batch::<Shape1<4>>::from_vec(uniform(&mut values, samples * 4)).unwrap();
    let y = Batch::<Shape1<1>>::from_fn(samples, |s, _| {
        let f = x.sample(s);
        f[0] * 2.0 - f[1] + f[2] * f[3]
    });
    (x, y)
}

fn space() -> Space {
    Space::new()
        .integer("n_hidden", 0, 2)
        .integer("n_neurons", 2, 24)
        .log_uniform("learning_rate", 1e-3, 1e-1)
        .choice("activation", ["relu", "tanh"])
}

/// The book's `build_model`, at run time.
fn build(params: &Params) -> densely::Result<DynamicModel> {
    let mut model = Sequential::new("regressor").input("features", &[4]);
    for _ in 0..params.count("n_hidden")? {
        model =
            model.add(dense(params.count("n_neurons")?).activation(params.choice("activation")?));
    }
    let mut model = model
        .add(dense(1))
        .loss("mse")
        .build_with_seed(params.seed())?;
    model.compile(Sgd::new(params.real("learning_rate")? as f32), []);
    Ok(model)
}

fn search(seed: u64) -> RandomSearch {
    RandomSearch::new(space())
        .trials(5)
        .epochs(8)
        .batch_size(16)
        .seed(seed)
        .early_stopping(EarlyStopping::new().patience(2).restore_best_weights(true))
        .verbose(false)
}

#[test]
fn the_same_seed_gives_the_same_search() {
    let (train, valid) = (data(96, 1), data(32, 2));
    let run = |seed| {
        search(seed)
            .run(build, (&train.0, &train.1), (&valid.0, &valid.1))
            .unwrap()
    };
    let (a, b, c) = (run(3), run(3), run(4));
    let summary = |r: &densely::search::SearchResult<DynamicModel>| {
        r.trials()
            .iter()
            .map(|t| (t.params.clone(), t.score.map(f64::to_bits), t.epochs))
            .collect::<Vec<_>>()
    };
    assert_eq!(summary(&a), summary(&b));
    assert_ne!(
        a.trials()
            .iter()
            .map(|t| t.params.clone())
            .collect::<Vec<_>>(),
        c.trials()
            .iter()
            .map(|t| t.params.clone())
            .collect::<Vec<_>>()
    );
    // Each draw lies in its distribution, and the trials differ.
    for trial in a.trials() {
        let p = &trial.params;
        assert!((0..=2).contains(&p.integer("n_hidden").unwrap()));
        assert!((2..=24).contains(&p.integer("n_neurons").unwrap()));
        assert!((1e-3..1e-1).contains(&p.real("learning_rate").unwrap()));
        assert!(["relu", "tanh"].contains(&p.choice("activation").unwrap()));
    }
    assert_ne!(a.trials()[0].params, a.trials()[1].params);
}

#[test]
fn the_best_trial_has_the_lowest_score_and_its_model_scores_it() {
    let (train, valid) = (data(96, 5), data(32, 6));
    let result = search(7)
        .run(build, (&train.0, &train.1), (&valid.0, &valid.1))
        .unwrap();
    let lowest = result
        .trials()
        .iter()
        .filter_map(|t| t.score)
        .fold(f64::INFINITY, f64::min);
    assert_eq!(result.best_score(), lowest);
    assert_eq!(result.best_trial().score, Some(lowest));
    // The model kept is the trial's, rolled back to its best epoch.
    let mut best = result.into_best_model();
    let logs = best.evaluate(&valid.0, &valid.1).unwrap();
    let loss = logs.get("loss").unwrap();
    assert!(
        (loss - lowest).abs() <= 1e-6 * lowest.max(1.0),
        "{loss} vs {lowest}"
    );
}

#[test]
fn a_diverging_trial_is_kept_without_a_score() {
    let (train, valid) = (data(64, 8), data(32, 9));
    let space = Space::new().choice("learning_rate", ["0.01", "1e30"]);
    let result = RandomSearch::new(space)
        .trials(6)
        .epochs(3)
        .seed(1)
        .verbose(false)
        .run(
            |params| {
                let rate: f32 = params.choice("learning_rate")?.parse().unwrap();
                let mut model = Sequential::new("m")
                    .input("x", &[4])
                    .add(dense(1))
                    .loss("mse")
                    .build_with_seed(params.seed())?;
                model.compile(Sgd::new(rate), []);
                Ok(model)
            },
            (&train.0, &train.1),
            (&valid.0, &valid.1),
        )
        .unwrap();
    let diverged: Vec<_> = result
        .trials()
        .iter()
        .filter(|t| t.params.choice("learning_rate").unwrap() == "1e30")
        .collect();
    assert!(!diverged.is_empty(), "the draws include the huge rate");
    for trial in diverged {
        assert_eq!(trial.score, None);
        assert!(
            trial.failure.as_deref().unwrap().contains("NaN")
                || trial.failure.as_deref().unwrap().contains("infin"),
            "{:?}",
            trial.failure
        );
    }
    assert_eq!(
        result.best_params().choice("learning_rate").unwrap(),
        "0.01"
    );
    assert!(result.table().contains("diverged"), "{}", result.table());
}

#[test]
fn the_table_ranks_the_trials_and_goes_to_csv() {
    let (train, valid) = (data(64, 10), data(32, 11));
    let result = search(12)
        .run(build, (&train.0, &train.1), (&valid.0, &valid.1))
        .unwrap();
    let table = result.table();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 6, "{table}");
    for column in [
        "rank",
        "trial",
        "n_hidden",
        "learning_rate",
        "activation",
        "val_loss",
    ] {
        assert!(lines[0].contains(column), "{table}");
    }
    let dir = common::scratch("search-csv");
    let path = dir.join("trials.csv");
    result.to_csv(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut rows = text.lines().map(|line| line.split(',').collect::<Vec<_>>());
    let headers = rows.next().unwrap();
    let score_column = headers.iter().position(|h| *h == "val_loss").unwrap();
    let scores: Vec<f64> = rows.map(|r| r[score_column].parse().unwrap()).collect();
    assert_eq!(scores.len(), 5);
    assert!(scores.windows(2).all(|w| w[0] <= w[1]), "{scores:?}");
    assert_eq!(scores[0], result.best_score());
}

#[test]
fn mistakes_are_named() {
    let (train, valid) = (data(32, 13), data(16, 14));
    let error = search(1)
        .run(
            |params| {
                params.integer("n_layers")?;
                build(params)
            },
            (&train.0, &train.1),
            (&valid.0, &valid.1),
        )
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("no hyperparameter `n_layers`") && error.contains("n_hidden"),
        "{error}"
    );
    let bad = RandomSearch::new(Space::new().log_uniform("learning_rate", 0.0, 1.0))
        .run(build, (&train.0, &train.1), (&valid.0, &valid.1))
        .unwrap_err()
        .to_string();
    assert!(
        bad.contains("`learning_rate`") && bad.contains("positive"),
        "{bad}"
    );
    let params_error = search(1)
        .run(
            |params| {
                params.real("n_hidden")?;
                build(params)
            },
            (&train.0, &train.1),
            (&valid.0, &valid.1),
        )
        .unwrap_err()
        .to_string();
    assert!(params_error.contains("not a real number"), "{params_error}");
}

/// `log_uniform` spreads its draws evenly over the orders of magnitude, as scipy's
/// `reciprocal` does: as many below the geometric mean as above it.
#[test]
fn log_uniform_draws_spread_over_the_orders_of_magnitude() {
    let space = Space::new().log_uniform("rate", 1e-4, 1e-0);
    let (train, valid) = (data(16, 15), data(8, 16));
    let result = RandomSearch::new(space)
        .trials(200)
        .epochs(1)
        .verbose(false)
        .run(
            |_| {
                let mut model = Sequential::new("m")
                    .input("x", &[4])
                    .add(dense(1))
                    .loss("mse")
                    .build()?;
                model.compile(Sgd::new(0.01), []);
                Ok(model)
            },
            (&train.0, &train.1),
            (&valid.0, &valid.1),
        )
        .unwrap();
    let rates: Vec<f64> = result
        .trials()
        .iter()
        .map(|t| match t.params.get("rate").unwrap() {
            Value::Real(r) => *r,
            other => panic!("{other:?}"),
        })
        .collect();
    let below = rates.iter().filter(|&&r| r < 1e-2).count();
    assert!((70..=130).contains(&below), "{below} of 200 below 1e-2");
    let tiny = rates.iter().filter(|&&r| r < 1e-3).count();
    assert!((25..=75).contains(&tiny), "{tiny} of 200 below 1e-3");
}
