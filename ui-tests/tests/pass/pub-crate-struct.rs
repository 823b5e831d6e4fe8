mod models {
    use densely::prelude::*;

    model! {
        pub(crate) struct Internal {
            input features: [4];
            output value = Dense(1), loss = mse;
        }
    }
}

use densely::prelude::*;

fn main() {
    let mut model = models::Internal::new();
    let x = Batch::<Shape1<4>>::zeros(2);
    let y: Batch<Shape1<1>> = model.predict(&x).unwrap();
    assert_eq!(y.len(), 2);
}
