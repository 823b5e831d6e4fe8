//! The `model!` macro's compile-time contract: what it accepts (`tests/pass`, each built and
//! run), and what it rejects, with which message under which tokens (`tests/fail`, one folder a
//! topic, each with its `.stderr`). Regenerate snapshots with `TRYBUILD=overwrite`, then read
//! them. `tests/pending` holds valid models that don't build or run yet because of known bugs;
//! they move to `tests/pass` once fixed.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/fail/**/*.rs");
    t.pass("tests/pass/**/*.rs");
}
