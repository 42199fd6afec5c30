import { clusterOptions } from '../cluster';

describe('npm run cluster options', () => {
  it('defaults to two gateways, two workers and four history shards', () => {
    expect(clusterOptions([])).toEqual({ gateways: 2, workers: 2, historyShards: 4, prepareOnly: false });
  });

  it('reads --gateways, --workers, --history-shards and --prepare', () => {
    expect(clusterOptions(['--gateways', '3', '--workers=1', '--history-shards', '8', '--prepare'])).toEqual({
      gateways: 3,
      workers: 1,
      historyShards: 8,
      prepareOnly: true,
    });
  });

  it('refuses bad counts and unknown options, naming them', () => {
    expect(() => clusterOptions(['--gateways', '0'])).toThrow('--gateways must be an integer from 1 to 16');
    expect(() => clusterOptions(['--workers', 'two'])).toThrow('--workers must be an integer from 1 to 16');
    expect(() => clusterOptions(['--worker', '2'])).toThrow(/unknown option --worker; known: --gateways/);
  });
});
