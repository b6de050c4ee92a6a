"""Evidence: the per-build report folder, Allure environment files, the sign-off."""
