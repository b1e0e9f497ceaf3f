from tweetwatch.cli import main

raise SystemExit(main())
