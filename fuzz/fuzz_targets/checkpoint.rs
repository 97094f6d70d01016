//! Checkpoints from memory: any bytes either load as a finite model that round-trips and runs,
//! or are refused with an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nn::checkpoint::{from_bytes, to_bytes};
use nn::{Activation, Architecture};
use tensor::Matrix;

fuzz_target!(|data: &[u8]| {
    let expected = Architecture::classifier(4, &[3], Activation::Sigmoid, 2);
    let _ = from_bytes(data, Some(&expected));
    let Ok(model) = from_bytes(data, None) else {
        return;
    };
    let bytes = to_bytes(&model).expect("a loaded model is finite");
    assert_eq!(from_bytes(&bytes, None).expect("round trip"), model);
    // Run it, when its input is small enough to build here.
    let inputs = model.architecture().inputs;
    if inputs <= 1 << 12 {
        let x = Matrix::from_fn(2, inputs, |i, j| (i + j) as f32 * 0.25);
        let p = model.predict_proba(x.view());
        assert_eq!(p.rows(), 2);
    }
});
