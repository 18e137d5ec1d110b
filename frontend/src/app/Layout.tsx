import { Link, NavLink, Outlet } from "react-router";
import { TokenControl } from "../features/auth/TokenControl";
import { TokenPrompt } from "../features/auth/TokenPrompt";
import { HealthIndicator } from "../features/health/HealthIndicator";

const NAV_ITEMS = [
  { to: "/traces", label: "Traces", testId: "sys:nav-traces" },
  { to: "/datasets", label: "Datasets", testId: "sys:nav-datasets" },
  { to: "/runs", label: "Runs", testId: "sys:nav-runs" },
  { to: "/leaderboard", label: "Leaderboard", testId: "sys:nav-leaderboard" },
  { to: "/regression", label: "Regression", testId: "sys:nav-regression" },
  { to: "/tuning", label: "Tuning", testId: "sys:nav-tuning" },
  { to: "/models", label: "Models", testId: "sys:nav-models" },
  { to: "/playground", label: "Playground", testId: "sys:nav-playground" },
] as const;

export function Layout() {
  return (
    <>
      {/* The first stop of Tab: past the navigation, straight to the page. */}
      <a className="skip-link" href="#main" data-testid="sys:skip-link">
        Skip to content
      </a>
      <header className="app-header">
        <div className="header-inner">
          <Link to="/" className="brand">
            Tunix RT
          </Link>
          <nav aria-label="Main" className="main-nav">
            {NAV_ITEMS.map((item) => (
              <NavLink key={item.to} to={item.to} data-testid={item.testId}>
                {item.label}
              </NavLink>
            ))}
          </nav>
          <div className="header-end">
            <HealthIndicator />
            <TokenControl />
          </div>
        </div>
      </header>
      <main className="content" id="main" tabIndex={-1}>
        <Outlet />
      </main>
      <TokenPrompt />
    </>
  );
}
