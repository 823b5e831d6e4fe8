use densely::prelude::*;

model! {
    /// Two outputs whose losses are summed with weights.
    pub struct Weighted {
        input features: [4];
        hidden = Dense(8, relu);
        output main = Dense(1)(hidden), loss = mse, weight = 0.75;
        output aux = Dense(1)(hidden), loss = mae, weight = 2;
    }
}

fn main() {
    let mut model = Weighted::new();
    let x = Batch::<Shape1<4>>::from_fn(3, |s, i| (s + i) as f32);
    let (main, aux): (Batch<Shape1<1>>, Batch<Shape1<1>>) = model.predict(&x).unwrap();
    assert_eq!((main.len(), aux.len()), (3, 3));
    let weights: Vec<f32> = Weighted::GRAPH.outputs.iter().map(|o| o.weight).collect();
    assert_eq!(weights, [0.75, 2.0]);
}
