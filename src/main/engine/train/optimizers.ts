/**
 * Optimizers with PyTorch semantics, written out because tfjs' own lack weight decay:
 * - SGD: d = g + wd * theta; buf = momentum * buf + d (buf = d on the first step);
 *   theta -= lr * buf.
 * - AdamW: theta *= 1 - lr * wd (decoupled); Adam moments with bias correction;
 *   theta -= lr * m_hat / (sqrt(v_hat) + eps).
 */
import * as tf from '@tensorflow/tfjs';
import { hasNativeTrainingOps, nativeSgdUpdate } from '../kernels/native-training-ops.js';

export interface Optimizer {
  /** Applies one update; `grads[i]` belongs to `params[i]`. */
  step(params: tf.Variable[], grads: tf.Tensor[], lr: number): void;
  dispose(): void;
}

export class SgdOptimizer implements Optimizer {
  private readonly buffers = new Map<tf.Variable, tf.Variable>();

  constructor(
    readonly momentum = 0.9,
    readonly weightDecay = 0,
  ) {}

  step(params: tf.Variable[], grads: tf.Tensor[], lr: number): void {
    if (hasNativeTrainingOps()) {
      this.stepNatively(params, grads, lr);
      return;
    }
    tf.tidy(() => {
      params.forEach((theta, i) => {
        let d = grads[i]!;
        if (this.weightDecay !== 0) d = tf.add(d, tf.mul(theta, this.weightDecay));
        if (this.momentum !== 0) {
          const buf = this.buffers.get(theta);
          if (buf) {
            buf.assign(tf.add(tf.mul(buf, this.momentum), d));
          } else {
            this.buffers.set(theta, tf.variable(d, false));
          }
          d = this.buffers.get(theta)!;
        }
        theta.assign(tf.sub(theta, tf.mul(d, lr)));
      });
    });
  }

  /** The same update as one native pass over every parameter instead of six elementwise ops each. */
  private stepNatively(params: tf.Variable[], grads: tf.Tensor[], lr: number): void {
    tf.tidy(() => {
      const states = params.map((theta, i) => ({ theta, grad: grads[i]!, velocity: this.buffers.get(theta) }));
      nativeSgdUpdate(states, lr, this.momentum, this.weightDecay).forEach((next, i) => {
        const theta = params[i]!;
        if (next.velocity) {
          const buf = this.buffers.get(theta);
          if (buf) buf.assign(next.velocity);
          else this.buffers.set(theta, tf.variable(next.velocity, false));
        }
        theta.assign(next.theta);
      });
    });
  }

  dispose(): void {
    for (const buf of this.buffers.values()) buf.dispose();
    this.buffers.clear();
  }
}

export class AdamWOptimizer implements Optimizer {
  private readonly moments = new Map<tf.Variable, { m: tf.Variable; v: tf.Variable }>();
  private t = 0;

  constructor(
    readonly weightDecay = 0.01,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
  ) {}

  step(params: tf.Variable[], grads: tf.Tensor[], lr: number): void {
    this.t += 1;
    const correction1 = 1 - this.beta1 ** this.t;
    const correction2 = 1 - this.beta2 ** this.t;
    tf.tidy(() => {
      params.forEach((theta, i) => {
        const g = grads[i]!;
        let state = this.moments.get(theta);
        if (!state) {
          state = { m: tf.variable(tf.zerosLike(theta), false), v: tf.variable(tf.zerosLike(theta), false) };
          this.moments.set(theta, state);
        }
        state.m.assign(tf.add(tf.mul(state.m, this.beta1), tf.mul(g, 1 - this.beta1)));
        state.v.assign(tf.add(tf.mul(state.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const decayed = this.weightDecay !== 0 ? tf.mul(theta, 1 - lr * this.weightDecay) : theta;
        const denom = tf.add(tf.div(tf.sqrt(state.v), Math.sqrt(correction2)), this.epsilon);
        theta.assign(tf.sub(decayed, tf.mul(tf.div(state.m, denom), lr / correction1)));
      });
    });
  }

  dispose(): void {
    for (const { m, v } of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.moments.clear();
  }
}

/**
 * Lets only masked-in entries move (mask 1), whatever the inner optimizer does: after
 * each inner step, entries with mask 0 are put back to their exact previous values, so
 * neither weight decay nor momentum moves them (SalUn's guarantee).
 */
export class MaskedOptimizer implements Optimizer {
  constructor(
    private readonly inner: Optimizer,
    private readonly masks: Map<tf.Variable, tf.Tensor>,
  ) {}

  step(params: tf.Variable[], grads: tf.Tensor[], lr: number): void {
    const before: (tf.Tensor | null)[] = params.map((p) => (this.masks.has(p) ? tf.clone(p as tf.Tensor) : null));
    const masked = grads.map((g, i) => {
      const mask = this.masks.get(params[i]!);
      return mask ? tf.mul(g, mask) : g;
    });
    this.inner.step(params, masked, lr);
    tf.tidy(() => {
      params.forEach((p, i) => {
        const mask = this.masks.get(p);
        if (mask) p.assign(tf.where(tf.cast(mask, 'bool'), p, before[i]!));
      });
    });
    tf.dispose([...before.filter((b): b is tf.Tensor => b !== null), ...masked.filter((m, i) => m !== grads[i])]);
  }

  /** Frees the masks; the inner optimizer belongs to the caller. */
  releaseMasks(): void {
    tf.dispose([...this.masks.values()]);
    this.masks.clear();
  }

  dispose(): void {
    this.releaseMasks();
    this.inner.dispose();
  }
}
