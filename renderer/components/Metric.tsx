interface MetricProps {
  label: string;
  value: string;
  testId?: string;
}

/** One labelled figure of a metrics grid (a <dl>). */
export function Metric({ label, value, testId }: MetricProps) {
  return (
    <div>
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}
