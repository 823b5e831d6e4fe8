//! Any Rust identifier names a layer, an input or an output, and any name names the struct:
//! here the names of the generated code's own locals, fields and methods, of the runtime's
//! API, of std's prelude and primitive types, and raw identifiers. The models build, train
//! and predict with `use densely::prelude::*` alone.

#![allow(non_snake_case)]

mod names {
    use densely::prelude::*;

    model! {
        /// Forty layers named like the code around them.
        pub struct Hygiene {
            input inputs: [4];
            input samples: [3];
            visit = Dense(4, relu)(inputs);
            param = Dense(4, tanh);
            workspace = Dense(4, relu);
            training = Dropout(0.1);
            losses = Dense(4, relu);
            weights = Dense(4, relu);
            rng = Dense(4, relu);
            seed = Dense(4, relu);
            state = Dense(4, relu);
            new = Dense(4, relu);
            default = Dense(4, relu);
            forward = Dense(4, relu);
            backward = Dense(4, relu);
            compile = Dense(4, relu);
            fit = Dense(4, relu);
            evaluate = Dense(4, relu);
            predict = Dense(4, relu);
            summary = Dense(4, relu);
            reserve = Dense(4, relu);
            offset = Dense(4, relu);
            rows = Dense(4, relu);
            index = Dense(4, relu);
            part_0 = Dense(4, relu)(samples);
            layer_0 = Dense(4, relu);
            __densely = Dense(4, relu);
            visit_params = concatenate(index, layer_0, __densely);
            apply_gradients = Dense(4, relu);
            training_state = Dense(4, relu);
            with_seed = Activation(relu);
            r#type = Dense(4, relu);
            r#match = Dense(4, relu);
            Ok = Dense(4, relu);
            Some = Dense(4, relu);
            None = Dense(4, relu);
            Vec = Dense(4, relu);
            f32 = Dense(4, relu);
            usize = Dense(4, relu);
            Self_ = Dense(4, relu);
            inputs_out = add(Self_, usize);
            output targets = Dense(3, softmax)(inputs_out), loss = sparse_categorical_crossentropy;
            output predictions = Dense(1)(r#match), loss = mse, weight = 0.5;
        }
    }

    /// Trains for two epochs and predicts, as a user would.
    pub fn train() {
        let mut model = Hygiene::new();
        model.compile(Sgd::new(0.05), [Metric::Accuracy]);
        let x = Batch::<Shape1<4>>::from_fn(8, |s, i| ((s + i) % 3) as f32 / 3.0);
        let z = Batch::<Shape1<3>>::from_fn(8, |s, i| ((s * i) % 5) as f32 / 5.0);
        let classes = Labels::<3>::new((0..8).map(|s| (s % 3) as u32).collect()).unwrap();
        let values = Batch::<Shape1<1>>::from_fn(8, |s, _| s as f32 / 8.0);
        let history = model
            .fit(
                (&x, &z),
                (&classes, &values),
                FitOptions::default().epochs(2).verbose(0),
            )
            .unwrap();
        assert_eq!(history.get("loss").map(<[f64]>::len), Some(2));
        let (probs, value) = model.predict((&x, &z)).unwrap();
        assert_eq!((probs.len(), value.len()), (8, 8));
        // The fields keep the user's names; the Keras names drop `r#`.
        let _: &densely::layers::Dense<4, 4, densely::activation::Relu> = &model.visit;
        let _ = &model.r#type;
        let summary = model.summary_string();
        assert!(summary.contains("type (Dense)"), "{summary}");
    }
}

/// Structs named after the prelude's traits and types.
mod shadowing {
    use densely::prelude::*;

    macro_rules! declare {
        ($($name:ident),*) => {$(
            model! {
                pub struct $name {
                    input x: [2];
                    output y = Dense(1), loss = mse;
                }
            }
        )*};
    }

    declare!(Model, Network, Batch, Sequential, Save, Inspect, Shape, Result, Option);

    /// Each struct compiles, trains and predicts with the prelude's methods.
    pub fn train() {
        let x = densely::Batch::<Shape1<2>>::from_fn(4, |s, i| (s + i) as f32);
        let y = densely::Batch::<Shape1<1>>::from_fn(4, |s, _| s as f32);
        let mut model = Model::new();
        model.compile(Sgd::new(0.01), []);
        model.fit(&x, &y, FitOptions::default().epochs(1).verbose(0)).unwrap();
        assert_eq!(model.predict(&x).unwrap().len(), 4);
        let mut network = Network::new();
        network.compile(Adam::new(0.001), []);
        network.fit(&x, &y, FitOptions::default().epochs(1).verbose(0)).unwrap();
        assert!(Batch::new().summary_string().contains("Total params: 3"));
        assert_eq!(Sequential::new().count_params(), 3);
        let _ = (Save::new(), Inspect::new(), Shape::new(), Result::new(), Option::new());
    }
}

fn main() {
    names::train();
    shadowing::train();
}
