import { useQueryClient } from "@tanstack/react-query";
import { clearToken } from "../../api/token";
import { useStoredToken } from "./hooks";

/** Header control: forget the stored token (only shown while one is stored). */
export function TokenControl() {
  const token = useStoredToken();
  const queryClient = useQueryClient();
  if (!token) return null;

  function forget() {
    clearToken();
    // Drop what was fetched with the token; active views refetch (and prompt if needed).
    void queryClient.resetQueries();
  }

  return (
    <button type="button" className="link-button" onClick={forget} data-testid="sys:token-forget">
      Forget token
    </button>
  );
}
