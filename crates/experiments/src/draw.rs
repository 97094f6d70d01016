//! `demos/draw.html`: draw a digit and watch the network score it. Built from a run's dense
//! networks of one or two layers, with their exact f32 weights and scaling, and a few held-out
//! images per dataset for the page's "Sample" button.

use datasets::{InputScaling, Split};
use render::html::{DrawDemo, DrawLayer, DrawNet, DrawSamples, DrawScaling, draw_demo};

use crate::error::ExperimentError;
use crate::pipeline::{Outcome, Results};
use crate::spec::DataKind;

/// Held-out images per dataset the page carries (spread evenly over the split).
pub const SAMPLES: usize = 64;

/// The Korean class names of `data` when its classes are words with Korean names (CIFAR-10's
/// own), else none (digits, and names a user gave, stay as they are).
pub fn classes_ko(data: &DataKind, classes: &[String]) -> Vec<String> {
    use datasets::cifar10::{CLASSES, CLASSES_KO};
    if *data == DataKind::Cifar10 && classes.iter().map(String::as_str).eq(CLASSES) {
        CLASSES_KO.iter().map(|c| c.to_string()).collect()
    } else {
        Vec::new()
    }
}

/// The draw page for `run`, or `None` when no network of it can be shown (none has one or two
/// layers).
pub fn page(run: &Results) -> Option<String> {
    let shown: Vec<&Outcome> = run
        .outcomes
        .iter()
        .filter(|o| o.trained.model.layers().len() <= 2)
        .collect();
    if shown.is_empty() {
        return None;
    }
    let mut samples: Vec<DrawSamples> = Vec::new();
    let networks = shown
        .iter()
        .map(|o| {
            let spec = &o.trained.spec;
            let group = spec.data.display_name().to_string();
            let data = run.data_of(spec);
            let view = data.view(Split::HeldOut);
            let shape = view.shape();
            if !samples.iter().any(|s| s.group == group) {
                let n = view.len();
                let picks: Vec<usize> = (0..SAMPLES.min(n))
                    .map(|k| k * n / SAMPLES.min(n))
                    .collect();
                samples.push(DrawSamples {
                    group: group.clone(),
                    channels: shape.channels,
                    height: shape.height,
                    width: shape.width,
                    // Drawing makes sense for grayscale digits, the way MNIST was made.
                    drawable: spec.data == DataKind::Mnist,
                    pixels: picks.iter().flat_map(|&i| view.image(i).to_vec()).collect(),
                    labels: picks.iter().map(|&i| view.label(i)).collect(),
                    indices: picks.iter().map(|&i| view.dataset_index(i)).collect(),
                });
            }
            let classes = view.classes().to_vec();
            let classes_ko = classes_ko(&spec.data, &classes);
            let arch = o.trained.model.architecture();
            DrawNet {
                id: spec.id.clone(),
                group,
                label: format!(
                    "{} ({})",
                    spec.id,
                    arch.widths()
                        .iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(" → ")
                ),
                classes,
                classes_ko,
                layers: o
                    .trained
                    .model
                    .layers()
                    .iter()
                    .zip(&arch.layers)
                    .map(|(l, s)| DrawLayer {
                        inputs: l.inputs(),
                        outputs: l.outputs(),
                        weight: l.weight.as_slice().to_vec(),
                        bias: l.bias.as_slice().to_vec(),
                        activation: s.activation.name().to_string(),
                    })
                    .collect(),
                scaling: scaling(&spec.input_scaling, shape.channels),
            }
        })
        .collect();
    Some(draw_demo(&DrawDemo { networks, samples }))
}

/// Side of the box a digit's ink is fitted into, and of the image it is centred in, as MNIST's
/// digits were made.
const BOX: usize = 20;
const SIDE: usize = 28;

/// A grayscale drawing (`width` pixels a row, ink > 0 on 0) made into a 28x28 MNIST-style
/// input: the ink's bounding box fitted into 20x20 keeping its aspect ratio, each pixel the
/// area average of the drawing's pixels it covers, then shifted so that its centre of mass is
/// the image's centre. The draw page computes the same bytes in JavaScript: every step is
/// integer arithmetic, rounded half up, so neither side depends on how floats are rounded.
///
/// A drawing without ink, or whose ink averages away to nothing, gives a blank image.
pub fn mnist_style(gray: &[u8], width: usize) -> Result<Vec<u8>, ExperimentError> {
    if width == 0 || !gray.len().is_multiple_of(width) {
        return Err(ExperimentError::Mismatch(format!(
            "a drawing of {} pixels is not made of rows of {width}",
            gray.len()
        )));
    }
    let height = gray.len() / width;
    let mut out = vec![0u8; SIDE * SIDE];
    let inked = |x: usize, y: usize| gray[y * width + x] > 0;
    let Some(y0) = (0..height).find(|&y| (0..width).any(|x| inked(x, y))) else {
        return Ok(out);
    };
    let y1 = (0..height)
        .rev()
        .find(|&y| (0..width).any(|x| inked(x, y)))
        .unwrap_or(y0);
    let x0 = (0..width)
        .find(|&x| (0..height).any(|y| inked(x, y)))
        .unwrap_or(0);
    let x1 = (0..width)
        .rev()
        .find(|&x| (0..height).any(|y| inked(x, y)))
        .unwrap_or(x0);
    let (bw, bh) = (x1 - x0 + 1, y1 - y0 + 1);
    let m = bw.max(bh);
    let fitted = |b: usize| ((2 * BOX * b + m) / (2 * m)).max(1);
    let (tw, th) = (fitted(bw), fitted(bh));

    // Source pixel `s` spans [s*k, (s+1)*k) and output pixel `t` spans [t*n, (t+1)*n), in units
    // where n source pixels and k output pixels have the same length.
    let overlap = |s: usize, t: usize, n: usize, k: usize| {
        ((s + 1) * k)
            .min((t + 1) * n)
            .saturating_sub((s * k).max(t * n)) as u64
    };
    let covered = |t: usize, n: usize, k: usize| (t * n) / k..=((t + 1) * n - 1) / k;
    let mut rows = vec![0u64; bh * tw];
    for sy in 0..bh {
        let line = &gray[(y0 + sy) * width + x0..][..bw];
        for tx in 0..tw {
            rows[sy * tw + tx] = covered(tx, bw, tw)
                .map(|sx| overlap(sx, tx, bw, tw) * u64::from(line[sx]))
                .sum();
        }
    }
    let area = (bw * bh) as u64;
    let mut small = vec![0u8; th * tw];
    for ty in 0..th {
        for tx in 0..tw {
            let sum: u64 = covered(ty, bh, th)
                .map(|sy| overlap(sy, ty, bh, th) * rows[sy * tw + tx])
                .sum();
            // At most 255: the overlaps of one output pixel add up to `area`.
            small[ty * tw + tx] = ((2 * sum + area) / (2 * area)) as u8;
        }
    }

    let (mut mass, mut mx, mut my) = (0i64, 0i64, 0i64);
    for y in 0..th {
        for x in 0..tw {
            let v = i64::from(small[y * tw + x]);
            mass += v;
            mx += v * (2 * x as i64 + 1);
            my += v * (2 * y as i64 + 1);
        }
    }
    if mass == 0 {
        return Ok(out);
    }
    // round(14 - centre), the centre being (mx / 2) / mass; floor division, as the page's.
    let half = SIDE as i64 / 2;
    let shift = |moment: i64| ((2 * half + 1) * mass - moment).div_euclid(2 * mass);
    let (ox, oy) = (shift(mx), shift(my));
    for y in 0..th {
        for x in 0..tw {
            let (tx, ty) = (x as i64 + ox, y as i64 + oy);
            if (0..SIDE as i64).contains(&tx) && (0..SIDE as i64).contains(&ty) {
                out[ty as usize * SIDE + tx as usize] = small[y * tw + x];
            }
        }
    }
    Ok(out)
}

/// `InputScaling` as per-channel mean and deviation in the `x / 255` scale.
fn scaling(s: &InputScaling, channels: usize) -> DrawScaling {
    match s {
        InputScaling::UnitRange => DrawScaling {
            mean: vec![0.0; channels],
            std: vec![1.0; channels],
        },
        InputScaling::ZeroCentred => DrawScaling {
            mean: vec![0.5; channels],
            std: vec![1.0; channels],
        },
        InputScaling::Standardize(st) => DrawScaling {
            mean: st.mean.clone(),
            std: st.std.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ink_box(img: &[u8]) -> (usize, usize, usize, usize) {
        let ink: Vec<usize> = (0..img.len()).filter(|&i| img[i] > 0).collect();
        let xs = || ink.iter().map(|i| i % SIDE);
        let ys = || ink.iter().map(|i| i / SIDE);
        (
            xs().min().unwrap(),
            xs().max().unwrap(),
            ys().min().unwrap(),
            ys().max().unwrap(),
        )
    }

    fn centre(img: &[u8]) -> (f64, f64) {
        let mass: f64 = img.iter().map(|&v| f64::from(v)).sum();
        let m = |f: fn(usize) -> usize| {
            (0..img.len())
                .map(|i| (f(i) as f64 + 0.5) * f64::from(img[i]))
                .sum::<f64>()
                / mass
        };
        (m(|i| i % SIDE), m(|i| i / SIDE))
    }

    #[test]
    fn a_solid_rectangle_fills_the_box_keeping_its_shape() {
        // 100 x 50 of full ink at (30, 70) on a 280 x 280 pad: 20 x 10, centred.
        let mut pad = vec![0u8; 280 * 280];
        for y in 70..120 {
            pad[y * 280 + 30..y * 280 + 130].fill(255);
        }
        let img = mnist_style(&pad, 280).unwrap();
        assert_eq!(ink_box(&img), (4, 23, 9, 18));
        assert!(img.iter().all(|&v| v == 0 || v == 255));
        assert_eq!(centre(&img), (14.0, 14.0));
    }

    #[test]
    fn each_pixel_is_the_area_average_it_covers() {
        // A 40-pixel column of ink over a 3-pixel-wide box: 20 rows of one output pixel each
        // covering two pad rows, and one column split 20/3 units each.
        let mut pad = vec![0u8; 3 * 40];
        for y in 0..40 {
            pad[y * 3] = 90;
            pad[y * 3 + 1] = 30;
            pad[y * 3 + 2] = 3;
        }
        let img = mnist_style(&pad, 3).unwrap();
        // round(20 * 3 / 40) = 2 (1.5 rounds half up): the first output column covers pad
        // columns 0 and half of 1, the second the other half and 2.
        let row = &img[4 * SIDE..5 * SIDE];
        let left = (2 * (90 * 2 + 30) + 3) / 6;
        let right = (2 * (30 + 3 * 2) + 3) / 6;
        assert_eq!(row.iter().filter(|&&v| v > 0).count(), 2);
        let at = row.iter().position(|&v| v > 0).unwrap();
        assert_eq!((row[at], row[at + 1]), (left as u8, right as u8));
    }

    #[test]
    fn nothing_drawn_and_bad_shapes() {
        assert_eq!(mnist_style(&[0; 100], 10).unwrap(), vec![0; 784]);
        assert!(mnist_style(&[0; 100], 0).is_err());
        assert!(mnist_style(&[0; 101], 10).is_err());
        // One faint pixel in a wide box averages to nothing.
        let mut pad = vec![0u8; 100 * 2];
        pad[0] = 1;
        pad[99] = 1;
        assert_eq!(mnist_style(&pad, 100).unwrap(), vec![0; 784]);
    }

    proptest! {
        /// Where on the pad a digit is drawn does not matter, its ink always fits the 20x20 box,
        /// and its centre of mass lands within half a pixel of the centre.
        #[test]
        fn placed_by_shape_not_position(
            w in 1usize..60,
            h in 1usize..60,
            seed in any::<u64>(),
            (dx, dy) in (0usize..30, 0usize..30),
        ) {
            let mut state = seed | 1;
            let ink: Vec<u8> = (0..w * h)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    if state % 3 == 0 { (state >> 8) as u8 } else { 0 }
                })
                .collect();
            let put = |ox: usize, oy: usize| {
                let pw = w + 30;
                let mut pad = vec![0u8; pw * (h + 30)];
                for y in 0..h {
                    pad[(y + oy) * pw + ox..][..w].copy_from_slice(&ink[y * w..][..w]);
                }
                mnist_style(&pad, pw).unwrap()
            };
            let img = put(dx, dy);
            prop_assert_eq!(&img, &put(0, 0));
            if img.iter().any(|&v| v > 0) {
                let (x0, x1, y0, y1) = ink_box(&img);
                prop_assert!(x1 - x0 < BOX && y1 - y0 < BOX);
                let (cx, cy) = centre(&img);
                // Rounding the shift moves the centre by up to half a pixel. Ink far to one
                // side of its box can be shifted past the border, and then the centre of what
                // is left says nothing.
                prop_assume!(x0 > 0 && y0 > 0 && x1 < SIDE - 1 && y1 < SIDE - 1);
                prop_assert!((cx - 14.0).abs() <= 0.5 + 1e-9, "{}", cx);
                prop_assert!((cy - 14.0).abs() <= 0.5 + 1e-9, "{}", cy);
            }
        }
    }

    #[test]
    fn every_scaling_gives_what_the_feed_computes() {
        let stats = datasets::ChannelStats {
            mean: vec![0.1, 0.2, 0.3],
            std: vec![0.5, 0.0, 2.0],
        };
        for s in [
            InputScaling::UnitRange,
            InputScaling::ZeroCentred,
            InputScaling::Standardize(stats),
        ] {
            let d = scaling(&s, 3);
            for c in 0..3 {
                for x in [0u8, 17, 128, 255] {
                    let sd = if d.std[c] > 0.0 { d.std[c] } else { 1.0 };
                    let page = (x as f32 / 255.0 - d.mean[c]) / sd;
                    assert!((page - s.apply(c, x)).abs() < 1e-6, "{s:?} {c} {x}");
                }
            }
        }
    }
}
