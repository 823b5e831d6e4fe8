//! One typo, one error: the struct still exists with its whole API, so the code using it
//! (constructor, compile, fit, evaluate, predict, summary, save, the fields of the layers
//! that were fine) adds no error of its own.

use densely::prelude::*;

model! {
    pub struct FashionMlp {
        input image: [28, 28];
        flatten = Flatten;
        hidden1 = Dense(300, rleu);
        hidden2 = Dense(100, relu);
        output probs = Dense(10, softmax), loss = sparse_categorical_crossentropy;
    }
}

fn main() -> densely::Result<()> {
    let mut model = FashionMlp::new();
    model.compile(Sgd::new(0.01), [Metric::Accuracy]);
    let x = Batch::<Shape2<28, 28>>::zeros(4);
    let y = Labels::<10>::new(vec![0, 1, 2, 3])?;
    let history = model.fit(&x, &y, FitOptions::default().epochs(1))?;
    println!("{:?}", history.get("loss"));
    let logs = model.evaluate(&x, &y)?;
    println!("{logs}");
    let probs: Batch<Shape1<10>> = model.predict(&x)?;
    println!("{}", probs.len());
    model.summary();
    model.save("fashion.h5")?;
    let _: &densely::layers::Dense<300, 100, densely::activation::Relu> = &model.hidden2;
    Ok(())
}
