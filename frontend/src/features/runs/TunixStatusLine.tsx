import { ErrorMessage } from "../../ui/ErrorMessage";
import type { TunixStatus } from "./queries";

type StatusQuery = { data?: TunixStatus; isError: boolean; error: unknown };

/** Tunix's version, JAX's and the devices, or why this server cannot train. */
export function TunixStatusLine({ status }: { status: StatusQuery }) {
  if (status.isError) return <ErrorMessage error={status.error} title="Could not ask whether Tunix is installed" />;
  const data = status.data;
  if (!data) {
    return (
      <p className="muted small tunix-status" data-testid="run:tunix-status">
        Checking the Tunix runtime…
      </p>
    );
  }
  if (!data.available) {
    return (
      <p className="tunix-status" data-testid="run:tunix-status" data-available="false">
        <span className="pill pill-bad">
          <span className="dot" aria-hidden="true" />
          Tunix not installed
        </span>{" "}
        <span>{data.message}</span>
      </p>
    );
  }
  const devices = data.devices.length > 0 ? data.devices.join(", ") : "none found";
  return (
    <p className="tunix-status" data-testid="run:tunix-status" data-available="true">
      <span className="pill pill-ok">
        <span className="dot" aria-hidden="true" />
        Tunix available
      </span>{" "}
      <span>
        Tunix <strong className="mono">{data.version ?? "?"}</strong> · JAX{" "}
        <strong className="mono">{data.jax_version ?? "?"}</strong> · devices{" "}
        <span className="mono">{devices}</span>
      </span>
    </p>
  );
}
