// Importance scores of weights and the weight transforms that mask with
// them: magnitude |W| (Zhu & Gupta), and movement scores S learned with the
// weights through a straight-through estimator (Sanh, Wolf & Rush 2020,
// "Movement Pruning"): the forward pass uses W ⊙ M(S), and S receives the
// gradient the mask would get, ∂L/∂S = ∂L/∂W′ ⊙ W.
import * as tf from "@tensorflow/tfjs-core";
import type { WeightTransform } from "../models/modeling";

/**
 * Magnitude scores: |W| of a weight's stored values.
 *
 * @example magnitudeScores(tf.tensor([-0.5, 0.2])); // Float32Array [0.5, 0.2]
 */
export function magnitudeScores(weight: tf.Tensor): Float32Array {
  return Float32Array.from(weight.dataSync() as Float32Array, Math.abs);
}

/**
 * The logistic function on host values.
 *
 * @example sigmoid(0); // 0.5
 */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * The transform of movement pruning for one weight: forward `W ⊙ M` with
 * the current mask (computed from the scores before the step), backward
 * straight through the binarisation: `∂L/∂W = G ⊙ M` and
 * `∂L/∂S′ = scale · G ⊙ W` for the stored scores S′ (S = scale · S′).
 * `mask()` returns the mask in the weight's stored layout.
 *
 * @example model.registerWeightTransform(name, movementTransform(scores, () => mask, 1, `${module}.mask_scores`));
 */
export function movementTransform(scores: tf.Variable, mask: () => tf.Tensor, scale: number, scoresName: string): WeightTransform {
  const masked = tf.customGrad((w: any, s: any, save: any) => {
    save([w]);
    const m = mask();
    return {
      value: tf.mul(w as tf.Tensor, m),
      gradFunc: (dy: tf.Tensor, [sw]: tf.Tensor[]) => [tf.mul(dy, m), tf.mul(tf.mul(dy, sw), scale)],
    };
  });
  const f = ((w: tf.Tensor) => masked(w, scores) as tf.Tensor) as WeightTransform;
  f.backward = (g, w) => ({ weight: tf.mul(g, mask()), extra: new Map([[scoresName, tf.mul(tf.mul(g, w), scale)]]) });
  return f;
}

/**
 * Gradient of soft movement's regulariser `λ · mean_p(mean(σ(S_p)))` with
 * respect to stored scores S′ of one of `count` pruned weights (S = scale·S′):
 * `λ/(count·n) · σ(S)(1 − σ(S)) · scale`.
 *
 * @example grads.set(scoresName, tf.add(grads.get(scoresName)!, softMovementRegularizerGrad(scores, 20, 12, 300)));
 */
export function softMovementRegularizerGrad(scores: tf.Tensor, lambda: number, count: number, scale: number): tf.Tensor {
  return tf.tidy(() => {
    const sig = tf.sigmoid(tf.mul(scores, scale));
    return tf.mul(tf.mul(sig, tf.sub(1, sig)), (lambda * scale) / (count * scores.size));
  });
}

/**
 * The value of that regulariser, `mean_p(mean(σ(S_p)))`, for logs.
 *
 * @example softMovementRegularizer([scores], 300); // mean σ(S), 0.5 at the start
 */
export function softMovementRegularizer(scores: readonly tf.Tensor[], scale: number): number {
  if (scores.length === 0) return 0;
  const t = tf.tidy(() => tf.addN(scores.map((s) => tf.mean(tf.sigmoid(tf.mul(s, scale))))));
  const v = t.dataSync()[0] / scores.length;
  t.dispose();
  return v;
}
