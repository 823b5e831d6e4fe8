use densely::prelude::*;

model! {
    struct Private {
        input features: [4];
        output value = Dense(1), loss = mse;
    }
}

fn main() {
    let mut model = Private::new();
    let x = Batch::<Shape1<4>>::zeros(2);
    let y: Batch<Shape1<1>> = model.predict(&x).unwrap();
    assert_eq!(y.len(), 2);
}
