/**
 * libp2p's own metrics (connections, dials, streams, bytes per protocol, Noise, TCP, kad-dht) in a node's
 * registry, through `@libp2p/prometheus-metrics`.
 */
import type { ComponentLogger, Metrics } from '@libp2p/interface'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import type { Registry } from 'prom-client'

/**
 * The `metrics` option of `createLibp2p` for `registry`. Node's default metrics (prom-client's
 * `collectDefaultMetrics`) stay off: their event-loop monitor wakes the process every 10 ms, at rest
 * too. The module keeps one table of metrics per process, which each new node clears and fills
 * again in its own registry (it also clears prom-client's global default registry, which Cord does
 * not use): with several nodes in one process, a metric that libp2p registers late may land in
 * another node's registry.
 */
export function libp2pMetrics(registry: Registry): (components: { logger: ComponentLogger }) => Metrics {
  return prometheusMetrics({ registry, collectDefaultMetrics: false })
}
