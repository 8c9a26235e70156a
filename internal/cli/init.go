package cli

import (
	"github.com/spf13/cobra"

	"github.com/intentalert/intentalert/internal/store"
)

func (a *app) initCommand() *cobra.Command {
	var src string
	var force bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Copy the CRM export to the working database",
		Long: `init copies the CRM export (--src) to the working database (--db), which every
other command reads and writes. The export itself is only ever read. A
write-ahead log beside the export (<src>.wal) is copied and checkpointed into
the copy, so no committed data is lost. An existing working database is
replaced only with --force.`,
		Example: `  intentalert init --src ../shared/taktile/db_src.duckdb --db data/db.duckdb`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := store.Init(cmd.Context(), src, a.db, force); err != nil {
				return err
			}
			a.log.Info("working database ready", "src", src, "db", store.RedactDSN(a.db))
			return nil
		},
	}
	cmd.Flags().StringVar(&src, "src", "data/db_src.duckdb", "the CRM export to copy (never modified)")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing working database")
	bindEnv(cmd.Flags(), "src", "INTENTALERT_SRC")
	return cmd
}
