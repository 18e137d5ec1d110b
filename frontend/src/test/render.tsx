import { QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { AppRoutes } from "../app/AppRoutes";
import { createQueryClient } from "../app/queryClient";

/** Renders the whole app (layout, routes, providers) at `path`. */
export function renderApp(path = "/traces") {
  const queryClient = createQueryClient({ retry: false });
  const user = userEvent.setup();
  const view = render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={[path]}>
        <AppRoutes />
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return { ...view, user, queryClient };
}
