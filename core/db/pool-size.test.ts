import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ConfigError, testConfig } from '../config/config.ts'
import { poolSizeFor } from './pool-size.ts'

const pools = suite('database pools sized per role')

pools('each role gets its default: the api for short queries, a worker by its job concurrency, all for both', () => {
  const config = testConfig({ JOBS_CONCURRENCY: '6' })
  assert.is(poolSizeFor(config, 'api'), 20)
  assert.is(poolSizeFor(config, 'worker'), 16)
  assert.is(poolSizeFor(config, 'all'), 36)
})

pools('DATABASE_POOL_MAX overrides every role', () => {
  const config = testConfig({ DATABASE_POOL_MAX: '7' })
  for (const role of ['api', 'worker', 'all'] as const) assert.is(poolSizeFor(config, role), 7)
})

pools('a bad pool size or replica URL stops the start, naming the variable', () => {
  try {
    testConfig({ DATABASE_POOL_MAX: '0', DATABASE_REPLICA_URL: 'mysql://replica/answerline' })
    assert.unreachable('the config was accepted')
  } catch (error) {
    assert.instance(error, ConfigError)
    const problems = (error as ConfigError).problems.join('\n')
    assert.match(problems, /DATABASE_POOL_MAX/)
    assert.match(problems, /DATABASE_REPLICA_URL/)
  }
})

pools('the replica URL is read when given and absent otherwise', () => {
  assert.is(testConfig().database.replicaUrl, null)
  assert.is(testConfig({ DATABASE_REPLICA_URL: 'postgres://reader@replica:5432/answerline' }).database.replicaUrl, 'postgres://reader@replica:5432/answerline')
})

pools.run()
