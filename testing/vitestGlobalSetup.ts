import { ensureDefaultModel } from '../models/ensureModel';

// Every test that featurizes uses the real default model; build it once per run (cached in generated/).
export default async function setup(): Promise<void> {
  await ensureDefaultModel({ quiet: true });
}
