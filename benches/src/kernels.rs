//! The products of one training step at the chapter's shapes, and `matrixmultiply` called
//! directly, shared by the single-threaded (`kernels`) and parallel (`kernels_parallel`)
//! benchmarks.

use tensor::Matrix;
use tensor::ops::Trans;

/// One product `out = op(a) · op(b)`.
pub struct Case {
    /// The benchmark group's name.
    pub name: &'static str,
    /// Left operand as stored.
    pub a: Matrix,
    /// Whether `a` is used transposed.
    pub ta: Trans,
    /// Right operand as stored.
    pub b: Matrix,
    /// Whether `b` is used transposed.
    pub tb: Trans,
    /// `(rows, cols)` of the output.
    pub out: (usize, usize),
}

fn filled(rows: usize, cols: usize) -> Matrix {
    Matrix::from_fn(rows, cols, |i, j| {
        ((i * 31 + j * 17) % 255) as f32 / 255.0 - 0.5
    })
}

/// Forward `x · Wᵀ` and weight gradient `dᵀ · x` at batch 64 for 784 -> 10, 3072 -> 10 and a
/// 100-unit layer (the one shape that goes to `matrixmultiply` inside our `gemm`).
pub fn cases() -> Vec<Case> {
    let case = |name, (ar, ac), ta, (br, bc), tb, out| Case {
        name,
        a: filled(ar, ac),
        ta,
        b: filled(br, bc),
        tb,
        out,
    };
    vec![
        case(
            "fwd_64x784x10",
            (64, 784),
            Trans::No,
            (10, 784),
            Trans::Yes,
            (64, 10),
        ),
        case(
            "grad_10x64x784",
            (64, 10),
            Trans::Yes,
            (64, 784),
            Trans::No,
            (10, 784),
        ),
        case(
            "fwd_64x3072x10",
            (64, 3072),
            Trans::No,
            (10, 3072),
            Trans::Yes,
            (64, 10),
        ),
        case(
            "grad_10x64x3072",
            (64, 10),
            Trans::Yes,
            (64, 3072),
            Trans::No,
            (10, 3072),
        ),
        case(
            "fwd_64x784x100",
            (64, 784),
            Trans::No,
            (100, 784),
            Trans::Yes,
            (64, 100),
        ),
        // The CIFAR-10 convolutions at batch 64: forward (window rows times filters) and weight
        // gradient (summed over every output pixel), first and second layer.
        case(
            "conv1_fwd_65536x75x16",
            (65536, 75),
            Trans::No,
            (16, 75),
            Trans::Yes,
            (65536, 16),
        ),
        case(
            "mnist_conv1_fwd_50176x25x8",
            (50176, 25),
            Trans::No,
            (8, 25),
            Trans::Yes,
            (50176, 8),
        ),
        case(
            "conv1_grad_16x65536x75",
            (65536, 16),
            Trans::Yes,
            (65536, 75),
            Trans::No,
            (16, 75),
        ),
        case(
            "conv2_fwd_16384x400x20",
            (16384, 400),
            Trans::No,
            (20, 400),
            Trans::Yes,
            (16384, 20),
        ),
        case(
            "conv2_grad_20x16384x400",
            (16384, 20),
            Trans::Yes,
            (16384, 400),
            Trans::No,
            (20, 400),
        ),
    ]
}

/// `out = op(a) · op(b)` through `matrixmultiply::sgemm` directly, in one call: single-threaded
/// unless the `mm-threading` feature is on, then on `MATMUL_NUM_THREADS` threads.
pub fn mm(a: &Matrix, ta: Trans, b: &Matrix, tb: Trans, out: &mut Matrix) {
    let (m, k) = if ta == Trans::No {
        a.shape()
    } else {
        (a.cols(), a.rows())
    };
    let n = out.cols();
    let kb = if tb == Trans::No { b.rows() } else { b.cols() };
    assert!(k == kb && out.rows() == m, "mm: shapes disagree");
    let (rsa, csa) = if ta == Trans::No {
        (a.cols() as isize, 1)
    } else {
        (1, a.cols() as isize)
    };
    let (rsb, csb) = if tb == Trans::No {
        (b.cols() as isize, 1)
    } else {
        (1, b.cols() as isize)
    };
    // SAFETY: the strides describe a, b and out exactly, whose shapes were checked above.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_slice().as_ptr(),
            rsa,
            csa,
            b.as_slice().as_ptr(),
            rsb,
            csb,
            0.0,
            out.as_mut_slice().as_mut_ptr(),
            n as isize,
            1,
        )
    }
}
