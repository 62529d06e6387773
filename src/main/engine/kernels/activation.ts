/** The activation a layer applies after its op; the native kernels fuse it into the op. */
export type Activation = 'linear' | 'relu';
