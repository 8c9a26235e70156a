// Command ref runs the bare reference for the segment benchmark: the
// embedded segmentation SQL alone as a CREATE TABLE AS, or the CSV export of
// crm.customer_buying_intent alone (DuckDB's COPY ... TO, PostgreSQL's COPY
// ... TO STDOUT), with no transaction, history or Go-side CSV writing.
//
//	go run ./bench/ref -db FILE|postgres://... -as-of 2024-04-30 -mode segment|csv|exec [-out FILE] [-sql STATEMENTS]
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/intentalert/intentalert/internal/segment"
	"github.com/intentalert/intentalert/internal/store"
)

func main() {
	dsn := flag.String("db", "", "DuckDB file or postgres:// URL")
	asOf := flag.String("as-of", "2024-04-30", "as-of date")
	mode := flag.String("mode", "segment", "segment (CREATE TABLE AS of the segmentation SQL) or csv (COPY of crm.customer_buying_intent)")
	out := flag.String("out", "ref.csv", "CSV file the csv mode writes")
	query := flag.String("sql", "", "statements the exec mode runs")
	flag.Parse()
	if err := run(context.Background(), *dsn, *asOf, *mode, *out, *query); err != nil {
		fmt.Fprintln(os.Stderr, "ref:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn, asOf, mode, out, query string) error {
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	pg := store.IsPostgresURL(dsn)
	start := time.Now()
	var n int64
	switch mode {
	case "segment":
		if _, err := st.DB.ExecContext(ctx, "DROP TABLE IF EXISTS crm.bench_ref_segment"); err != nil {
			return err
		}
		q := "CREATE TABLE crm.bench_ref_segment AS\n" + st.SQL("segment")
		res, err := st.DB.ExecContext(ctx, q, asOf, segment.DefaultHighDays, segment.DefaultMediumDays)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		if _, err := st.DB.ExecContext(ctx, "DROP TABLE crm.bench_ref_segment"); err != nil {
			return err
		}
	case "csv":
		list := strings.TrimSpace(stripComments(st.SQL("segment_list")))
		if pg {
			n, err = pgCopy(ctx, st.DB, list, out)
		} else {
			var res sql.Result
			res, err = st.DB.ExecContext(ctx, fmt.Sprintf("COPY (%s) TO '%s' (HEADER, DELIMITER ',')", list, strings.ReplaceAll(out, "'", "''")))
			if err == nil {
				n, _ = res.RowsAffected()
			}
		}
		if err != nil {
			return err
		}
	case "exec":
		if _, err := st.DB.ExecContext(ctx, query); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown -mode %q", mode)
	}
	fmt.Fprintf(os.Stderr, "ref %s: %d rows in %.3f s\n", mode, n, time.Since(start).Seconds())
	return nil
}

func stripComments(q string) string {
	var b strings.Builder
	for _, line := range strings.Split(q, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// pgCopy streams COPY (query) TO STDOUT WITH CSV HEADER into a file.
func pgCopy(ctx context.Context, db *sql.DB, query, out string) (int64, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	f, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	var n int64
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn().PgConn()
		tag, err := pc.CopyTo(ctx, f, "COPY ("+query+") TO STDOUT WITH (FORMAT csv, HEADER)")
		n = tag.RowsAffected()
		return err
	})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}
