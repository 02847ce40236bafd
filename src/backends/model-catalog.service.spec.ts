import type { HttpService } from '@nestjs/axios';
import type { RouterConfig } from '../config/compiled-config';
import { ModelCatalogService, MODEL_LIST_TTL_MS } from './model-catalog.service';
import type { UpstreamPoolsService } from './upstream-pools.service';

const configWith = (...names: string[]) =>
  ({ aliases: new Map(), backends: names.map((name) => ({ name, prefix: `${name}/`, missingKeyEnv: undefined })) }) as unknown as RouterConfig;

describe('ModelCatalogService.list', () => {
  let catalog: ModelCatalogService;
  let fetchIds: jest.SpyInstance;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    catalog = new ModelCatalogService({} as HttpService, {} as UpstreamPoolsService);
    fetchIds = jest.spyOn(catalog, 'fetchIds').mockImplementation(async (backend) => [`${backend.name}-model`]);
  });
  afterEach(() => jest.useRealTimers());

  it('asks each backend once for many lists in a short time, concurrent ones included', async () => {
    const config = configWith('a', 'b');
    const lists = await Promise.all([catalog.list(config), catalog.list(config), catalog.list(config)]);
    jest.advanceTimersByTime(MODEL_LIST_TTL_MS - 1);
    lists.push(await catalog.list(config));
    expect(fetchIds).toHaveBeenCalledTimes(2);
    for (const list of lists) expect(list.map((m) => m.id)).toEqual(['a/a-model', 'b/b-model']);
  });

  it('asks again once the list is older than its TTL', async () => {
    const config = configWith('a');
    await catalog.list(config);
    jest.advanceTimersByTime(MODEL_LIST_TTL_MS);
    await catalog.list(config);
    expect(fetchIds).toHaveBeenCalledTimes(2);
  });

  it('answers a reloaded config with its own backends at once', async () => {
    await catalog.list(configWith('a'));
    expect((await catalog.list(configWith('b'))).map((m) => m.id)).toEqual(['b/b-model']);
    expect(fetchIds).toHaveBeenCalledTimes(2);
  });
});
