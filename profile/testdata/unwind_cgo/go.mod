module unwindcgo

go 1.21
