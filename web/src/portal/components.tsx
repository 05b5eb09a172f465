import type { ComponentChildren } from 'preact';

// Small pieces shared by the portal's panels.

export function Panel(props: { id: string; title: string; wide?: boolean; children: ComponentChildren }) {
  return (
    <section id={props.id} class={props.wide ? 'panel wide' : 'panel'} aria-labelledby={`${props.id}-h`}>
      <h2 id={`${props.id}-h`}>{props.title}</h2>
      {props.children}
    </section>
  );
}

export function Loading() {
  return <p class="muted">Loading…</p>;
}

/** A status as a bordered label: the text carries the meaning, the colour only repeats it. */
export function Badge({ status, testId }: { status: string; testId?: string }) {
  return (
    <span class={`badge s-${status}`} data-testid={testId}>
      {status.replace(/_/g, ' ')}
    </span>
  );
}

/** A `<dt>`/`<dd>` pair, left out when the value is empty. */
export function Fact({ label, children }: { label: string; children: ComponentChildren }) {
  if (children === null || children === undefined || children === '') return null;
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

export function TableHead({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <th key={c}>{c}</th>
        ))}
      </tr>
    </thead>
  );
}

/** A labelled text input that reports its value as it is typed. */
export function TextInput(props: {
  label: string;
  value: string;
  onValue: (v: string) => void;
  placeholder?: string;
  testId?: string;
  class?: string;
}) {
  return (
    <input
      aria-label={props.label}
      placeholder={props.placeholder ?? props.label}
      value={props.value}
      class={props.class}
      data-testid={props.testId}
      onInput={(e) => props.onValue((e.target as HTMLInputElement).value)}
    />
  );
}
