//! Safetensors models from memory: any bytes either read as a dense network that is written and
//! read back identically and runs, or are refused with an error naming what is wrong.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use nn::Activation;
use nn::safetensors::{ImportOptions, from_bytes, to_bytes};
use tensor::Matrix;

fuzz_target!(|data: &[u8]| {
    let given = ImportOptions {
        activation: Some(Activation::Relu),
        transpose: data.first().is_some_and(|b| b & 1 == 1),
        ..Default::default()
    };
    let _ = from_bytes(data, &ImportOptions::default());
    let Ok(imported) = from_bytes(data, &given) else {
        return;
    };
    let model = imported.model;
    let bytes = to_bytes(&model, &BTreeMap::new()).expect("a model read is finite");
    let back = from_bytes(&bytes, &ImportOptions::default()).expect("round trip");
    assert_eq!(back.model.layers(), model.layers());
    let inputs = model.architecture().inputs;
    if inputs <= 1 << 12 {
        let x = Matrix::from_fn(2, inputs, |i, j| (i + j) as f32 * 0.25);
        assert_eq!(model.predict_proba(x.view()).rows(), 2);
    }
});
