import { describe, expect, it } from 'vitest';
import { BlazeFace, CudaUnavailableError } from './blazeface.js';

// These machines have no GPU and onnxruntime-node without its CUDA binaries: asking for CUDA must
// fail clearly (never fall back silently to CPU, never crash obscurely).
describe.skipIf(process.env.BYSTANDER_EXPECT_CUDA === '1')('--device cuda without CUDA', () => {
  it('fails with CudaUnavailableError naming the fix', async () => {
    const err = await BlazeFace.create({ variant: 'front', device: 'cuda' }).then(
      async (d) => {
        await d.release();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CudaUnavailableError);
    expect((err as Error).message).toMatch(/--device cpu/);
    expect((err as Error).message).toMatch(/cuda12/);
  });
});
