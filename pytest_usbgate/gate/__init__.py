"""The gate engine, pure (no pytest, no I/O): criteria and limits (`criteria`), the
`criteria` object tests judge with (`checker`), the verdict and its diagnosis
(`verdict`), and the summary's lines (`summary`)."""
