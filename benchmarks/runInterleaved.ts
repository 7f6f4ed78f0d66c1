/** A contender: a name and one fresh-process measurement. */
export interface Contender<T> {
  name: string;
  measure(): Promise<T>;
}

/**
 * Runs every contender once per repetition, A B A B …, flipping the order on odd repetitions
 * so slow drift on a shared machine favours nobody. Returns the samples by contender name.
 */
export async function runInterleaved<T>(
  contenders: ReadonlyArray<Contender<T>>,
  repetitions: number,
  onSample?: (name: string, sample: T) => void,
): Promise<Map<string, T[]>> {
  const samples = new Map<string, T[]>(contenders.map((c) => [c.name, []]));
  for (let rep = 0; rep < repetitions; rep++) {
    const order = rep % 2 === 0 ? contenders : [...contenders].reverse();
    for (const contender of order) {
      const sample = await contender.measure();
      samples.get(contender.name)!.push(sample);
      onSample?.(contender.name, sample);
    }
  }
  return samples;
}
