"""A pytest session's side of a gate run: what the plugin keeps (`state`), the run on
the controller with its journal and sign-off (`run`), and the core fixtures (`fixtures`:
`rig`, `gate`, `criteria`)."""
