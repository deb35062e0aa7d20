/** The parts of parse-prometheus-text-format's output (prom2json's shape) the tests read. */
declare module "parse-prometheus-text-format" {
  export interface PrometheusSample {
    readonly value?: string
    readonly labels?: Readonly<Record<string, string>>
    readonly buckets?: Readonly<Record<string, string>>
    readonly count?: string
    readonly sum?: string
  }
  export interface PrometheusFamily {
    readonly name: string
    readonly help: string
    readonly type: string
    readonly metrics: ReadonlyArray<PrometheusSample>
  }
  export default function parsePrometheusTextFormat(text: string): ReadonlyArray<PrometheusFamily>
}
