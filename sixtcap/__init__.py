"""The sixtcap program: the `sixtcap` command line and the web application that mounts the channels
and the admin API on the brain (`bot`)."""
