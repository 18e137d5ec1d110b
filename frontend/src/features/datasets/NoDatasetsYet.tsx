import { Link } from "react-router";

/** A dataset picker's hint while the server lists no dataset. */
export function NoDatasetsYet() {
  return (
    <>
      No datasets yet — <Link to="/datasets">build one</Link> first.
    </>
  );
}
