"""Device models: pure signal and message processing (`audio`, `midi`) and the JACK
client that runs them in the sim's JACK graph (`jack_client`, started as a process)."""
