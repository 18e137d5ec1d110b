/** The "Log scale" checkbox of a chart's controls. */
export function LogScaleToggle({
  checked,
  onChange,
  testId,
}: {
  checked: boolean;
  onChange: (logScale: boolean) => void;
  testId: string;
}) {
  return (
    <label className="inline-check">
      <input type="checkbox" checked={checked} onChange={(event) => onChange(event.target.checked)} data-testid={testId} />
      Log scale
    </label>
  );
}
