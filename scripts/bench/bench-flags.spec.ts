import { benchTemporalDb, flagValue, intFlag } from './bench-stack';
import { ivrBenchCalls, ivrBenchThink } from './ivr.bench';
import { pipelineBenchOptions } from './pipeline.bench';

describe('benchmark command-line flags', () => {
  it('reads --name value and --name=value, undefined when absent', () => {
    expect(flagValue(['ivr', '--calls', '20'], 'calls')).toBe('20');
    expect(flagValue(['--think-ms=100-200'], 'think-ms')).toBe('100-200');
    expect(flagValue(['--paths=a=b'], 'paths')).toBe('a=b');
    expect(flagValue(['pipeline'], 'calls')).toBeUndefined();
  });

  it('bounds integer flags and names the flag when refusing', () => {
    expect(intFlag([], 'runs', 1000, 20_000)).toBe(1000);
    expect(intFlag(['--runs', '5'], 'runs', 1000, 20_000)).toBe(5);
    expect(() => intFlag(['--runs', '0'], 'runs', 1000, 20_000)).toThrow('--runs must be an integer from 1 to 20000');
    expect(() => ivrBenchCalls(['--calls=9999'])).toThrow('--calls must be an integer from 1 to 5000');
  });

  it('parses each benchmark’s options with their defaults', () => {
    expect(benchTemporalDb([])).toBe('file');
    expect(benchTemporalDb(['--temporal-db', 'memory'])).toBe('memory');
    expect(() => benchTemporalDb(['--temporal-db', 'disk'])).toThrow(/--temporal-db must be one of/);
    expect(ivrBenchThink([])).toEqual({ minMs: 2000, maxMs: 6000 });
    expect(ivrBenchThink(['--think-ms', '0'])).toEqual({ minMs: 0, maxMs: 0 });
    expect(pipelineBenchOptions([])).toEqual({
      events: 400,
      concurrency: 32,
      paths: ['plain', 'one', 'endpoint', 'three', 'plain'],
      cluster: false,
    });
    expect(pipelineBenchOptions(['--cluster', '--events', '20'])).toMatchObject({ cluster: true, events: 20 });
    expect(pipelineBenchOptions(['--paths', 'one,plain', '--events=10'])).toMatchObject({
      events: 10,
      paths: ['one', 'plain'],
    });
    expect(() => pipelineBenchOptions(['--paths', 'two'])).toThrow(/--paths takes/);
  });
});
