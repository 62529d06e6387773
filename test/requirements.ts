/**
 * Tests that need something a machine may lack (the native addon, Chromium) skip where
 * it is missing, except where it is required: in CI (`CI` set) or under
 * LETHE_REQUIRE_<NAME>=1 (.ci/run sets both), where its absence fails with the reason
 * instead of passing as a silent skip.
 */
import { it } from 'vitest';

export function isRequired(name: 'native' | 'chromium'): boolean {
  return Boolean(process.env.CI) || process.env[`LETHE_REQUIRE_${name.toUpperCase()}`] === '1';
}

/**
 * Registers the test that fails where the requirement is missing and required, and says
 * whether the tests that need it must skip (missing and not required).
 */
export function requirement(name: 'native' | 'chromium', description: string, missing: string | null): { skip: boolean } {
  const required = isRequired(name);
  it(`${description} is available where it is required (CI or LETHE_REQUIRE_${name.toUpperCase()}=1)`, ({ expect }) => {
    if (required) expect(missing, `${description} is required here and missing`).toBeNull();
  });
  return { skip: missing !== null };
}
