"""The running process: config, transports, storage."""
